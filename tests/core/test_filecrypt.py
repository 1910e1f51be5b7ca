from __future__ import annotations

import os
import struct
from collections.abc import AsyncIterator

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.filecrypt import SEGMENT, CorruptObject, FileCipher
from core.pii import PiiCipher

MARKER = b"MARKER-ID-110105194912310020-"
LOOKUP = b"L" * 32


def keyset(current: str = "k1", **keys: bytes) -> PiiCipher:
    return PiiCipher(keys or {"k1": b"1" * 16}, current, LOOKUP)


async def chunked(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def seal(files: FileCipher, data: bytes, chunk: int = 10_000) -> bytes:
    return b"".join([c async for c in files.encrypt(chunked(data, chunk))])


async def open_(files: FileCipher, stored: bytes, chunk: int = 7_000) -> bytes:
    return b"".join([c async for c in files.decrypt(chunked(stored, chunk))])


def plaintext(size: int) -> bytes:
    return (MARKER * (size // len(MARKER) + 1))[:size]


@pytest.mark.parametrize("algorithm", ["aes-256-gcm", "sm4-gcm"])
@pytest.mark.parametrize(
    "size", [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT, 3 * SEGMENT + 17]
)
async def test_round_trip_and_no_plaintext_at_rest(algorithm: str, size: int) -> None:
    files = FileCipher(keyset(), algorithm)  # type: ignore[arg-type]
    data = plaintext(size)
    stored = await seal(files, data)
    assert MARKER not in stored
    assert MARKER[:8] not in stored
    # One tag per segment, the last one possibly empty: a header of under 100 bytes on top.
    segments = max(1, -(-size // SEGMENT))
    assert 0 < len(stored) - size - 16 * segments < 100
    for chunk in (1, 4096, SEGMENT + 16, 1 << 20):
        assert await open_(files, stored, chunk) == data
    # A data key per file: the same bytes twice are stored differently.
    assert await seal(files, data) != stored


async def test_layout_is_the_documented_one() -> None:
    """Read a stored object with nothing but the docstring's layout and the primitives."""
    pii = keyset()
    data = plaintext(SEGMENT + 10)
    stored = await seal(FileCipher(pii), data)
    magic, algorithm, wrapped_len = struct.unpack_from(">4sBH", stored)
    assert (magic, algorithm) == (b"HHF\x01", 1)
    wrapped = stored[7 : 7 + wrapped_len]
    data_key = pii.decrypt_bytes(wrapped, field="storage/data-key/1")
    prefix = stored[7 + wrapped_len : 7 + wrapped_len + 8]
    header = stored[: 7 + wrapped_len + 8]
    body = stored[len(header) :]
    aead = AESGCM(data_key)
    first = aead.decrypt(prefix + (0).to_bytes(4, "big"), body[: SEGMENT + 16],
                         header + (0).to_bytes(4, "big") + b"\x00")  # fmt: skip
    last = aead.decrypt(prefix + (1).to_bytes(4, "big"), body[SEGMENT + 16 :],
                        header + (1).to_bytes(4, "big") + b"\x01")  # fmt: skip
    assert first + last == data


async def test_tampering_fails_closed() -> None:
    files = FileCipher(keyset())
    data = plaintext(3 * SEGMENT + 100)
    stored = await seal(files, data)
    header_len = len(stored) - len(data) - 4 * 16
    sealed = SEGMENT + 16

    def flipped(at: int) -> bytes:
        out = bytearray(stored)
        out[at] ^= 0x20
        return bytes(out)

    damaged = {
        "magic": flipped(0),
        "algorithm": flipped(4),
        "wrapped key": flipped(20),
        "nonce prefix": flipped(header_len - 1),
        "first segment": flipped(header_len + 5),
        "middle segment": flipped(header_len + sealed + 100),
        "a tag": flipped(header_len + 2 * sealed - 1),
        "last segment": flipped(len(stored) - 1),
        "last segment dropped": stored[: header_len + 3 * sealed],
        "cut mid-segment": stored[: header_len + sealed + 500],
        "cut in the header": stored[:10],
        "bytes appended": stored + b"\x00" * 16,
        "segments swapped": stored[:header_len]
        + stored[header_len + sealed : header_len + 2 * sealed]
        + stored[header_len : header_len + sealed]
        + stored[header_len + 2 * sealed :],
        "empty": b"",
        "plaintext": data,
    }
    for what, blob in damaged.items():
        received = bytearray()
        with pytest.raises(CorruptObject):
            async for chunk in files.decrypt(chunked(blob, 50_000)):
                received += chunk
        # Nothing of a damaged segment was ever handed out: only whole, checked segments.
        assert len(received) % SEGMENT == 0, what
        assert data.startswith(bytes(received)), what


async def test_header_from_another_object_does_not_open_a_body() -> None:
    files = FileCipher(keyset())
    one = await seal(files, plaintext(1000))
    two = await seal(files, plaintext(1000)[::-1])
    header_len = len(one) - 1000 - 16
    with pytest.raises(CorruptObject):
        await open_(files, one[:header_len] + two[header_len:])


async def test_key_rotation_old_files_still_open() -> None:
    old = keyset("k1", k1=b"1" * 16)
    before = await seal(FileCipher(old), plaintext(SEGMENT * 2))

    rotated = keyset("k2", k1=b"1" * 16, k2=b"2" * 16)
    files = FileCipher(rotated)
    assert files.wrapping_key_id(before[:200]) == "k1"
    assert await open_(files, before) == plaintext(SEGMENT * 2)
    after = await seal(files, plaintext(10))
    assert files.wrapping_key_id(after[:200]) == "k2"

    # Retiring k1 too early makes its files unreadable, loudly, never as garbage.
    retired = FileCipher(keyset("k2", k2=b"2" * 16))
    with pytest.raises(CorruptObject, match="unwrap"):
        await open_(retired, before)
    assert await open_(retired, after) == plaintext(10)


async def test_wrapped_key_is_bound_to_its_algorithm() -> None:
    pii = keyset()
    stored = bytearray(await seal(FileCipher(pii, "sm4-gcm"), plaintext(100)))
    assert stored[4] == 2
    stored[4] = 1  # claim AES: the wrapped key does not unwrap under another algorithm
    with pytest.raises(CorruptObject):
        await open_(FileCipher(pii), bytes(stored))


async def test_segments_stream_in_bounded_pieces() -> None:
    files = FileCipher(keyset())
    size = 5 * SEGMENT + 3

    async def big() -> AsyncIterator[bytes]:
        for _ in range(size // 1000):
            yield os.urandom(1000)
        yield os.urandom(size % 1000)

    out_sizes = [len(c) async for c in files.encrypt(big())]
    assert max(out_sizes) == SEGMENT + 16
    assert len(out_sizes) == 1 + 6  # the header, five full segments, the short last one


def test_unknown_algorithm_refused() -> None:
    with pytest.raises(ValueError, match="cipher"):
        FileCipher(keyset(), "rot13")  # type: ignore[arg-type]


async def test_random_access_reads_the_plaintext() -> None:
    files = FileCipher(keyset())
    data = os.urandom(3 * SEGMENT + 1234)
    stored = await seal(files, data)
    fetched: list[tuple[int, int]] = []

    def fetch(start: int, end: int) -> bytes:
        fetched.append((start, end))
        return stored[start:end]

    with files.open_random(fetch, len(stored)) as plain:
        assert plain.seek(0, 2) == len(data)
        for at, n in ((0, 10), (SEGMENT - 5, 10), (2 * SEGMENT + 7, 100), (len(data) - 3, 50)):
            plain.seek(at)
            assert plain.read(n) == data[at : at + n]
        plain.seek(0)
        assert plain.read() == data
    # Only what was needed: the header once, then whole segments.
    assert fetched[0][0] == 0 and all(end - start <= SEGMENT + 16 for start, end in fetched[1:])


async def test_random_access_fails_closed() -> None:
    files = FileCipher(keyset())
    data = os.urandom(2 * SEGMENT + 10)
    stored = await seal(files, data)
    header_len = len(stored) - len(data) - 3 * 16

    def reader(blob: bytes):  # type: ignore[no-untyped-def]
        return files.open_random(lambda s, e: blob[s:e], len(blob))

    damaged = bytearray(stored)
    damaged[header_len + SEGMENT + 16 + 3] ^= 1  # the second segment
    with reader(bytes(damaged)) as plain:
        assert plain.read(100) == data[:100]  # the first segment is sound
        plain.seek(SEGMENT + 5)
        with pytest.raises(CorruptObject):
            plain.read(10)
    # Cut after a whole segment: the new last one was not sealed as the last.
    with reader(stored[: header_len + 2 * (SEGMENT + 16)]) as plain:
        plain.seek(SEGMENT + 1)
        with pytest.raises(CorruptObject):
            plain.read(1)
    for blob in (stored[:5], b"not ours at all, not ours at all", stored[: header_len + 3]):
        with pytest.raises(CorruptObject):
            reader(blob)
