from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import obstore
import pytest
from obstore.store import MemoryStore

from core.filecrypt import CorruptObject, FileCipher
from core.pii import PiiCipher
from core.storage import InvalidKey, ObjectNotFound, ObjectStorage, SignatureInvalid

SECRET = b"s" * 32
CHUNK = 64 * 1024
FILES = FileCipher(PiiCipher({"k1": b"K" * 16}, "k1", b"L" * 32))


@pytest.fixture
def storage(tmp_path: Path) -> ObjectStorage:
    return ObjectStorage.local(tmp_path / "materials", signing_secret=SECRET, files=FILES)


async def generated(total: int, seed: bytes = b"seed") -> AsyncIterator[bytes]:
    """Deterministic pseudo-random bytes, produced chunk by chunk (never the whole object)."""
    counter = 0
    sent = 0
    while sent < total:
        block = hashlib.sha256(seed + counter.to_bytes(8, "big")).digest() * (CHUNK // 32)
        block = block[: total - sent]
        counter += 1
        sent += len(block)
        yield block


async def digest_of(chunks: AsyncIterator[bytes]) -> tuple[str, int, int]:
    h = hashlib.sha256()
    size = biggest = 0
    async for chunk in chunks:
        h.update(chunk)
        size += len(chunk)
        biggest = max(biggest, len(chunk))
    return h.hexdigest(), size, biggest


async def test_streamed_round_trip_of_5_mb(storage: ObjectStorage, tmp_path: Path) -> None:
    size = 5 * 1024 * 1024 + 123
    key = "cases/abc/0123456789abcdef"
    await storage.put_stream(key, generated(size))

    assert await storage.exists(key)
    # Stored encrypted: a header, then a 16-byte tag per 64 KiB segment.
    stored = (tmp_path / "materials" / "cases" / "abc" / "0123456789abcdef").stat().st_size
    assert size + 81 * 16 < stored < size + 81 * 16 + 200
    expected, _, _ = await digest_of(generated(size))
    got, got_size, biggest = await digest_of(await storage.get_stream(key))
    assert (got, got_size) == (expected, size)
    # Read back in bounded chunks, not as one object.
    assert biggest <= 1024 * 1024

    await storage.delete(key)
    assert not await storage.exists(key)
    await storage.delete(key)  # idempotent


async def test_failed_put_leaves_no_object(storage: ObjectStorage, tmp_path: Path) -> None:
    class Stop(Exception):
        pass

    async def failing() -> AsyncIterator[bytes]:
        yield b"x" * CHUNK
        raise Stop

    with pytest.raises(Stop):
        await storage.put_stream("cases/partial", failing())
    assert not await storage.exists("cases/partial")
    assert [p for p in (tmp_path / "materials").rglob("*") if p.is_file()] == []


async def test_missing_object_is_not_found_before_streaming(storage: ObjectStorage) -> None:
    with pytest.raises(ObjectNotFound):
        await storage.get_stream("cases/none")


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "a//b", "a/./b", "a|b", "", "名字"])
async def test_keys_are_ours_only(storage: ObjectStorage, key: str) -> None:
    async def one() -> AsyncIterator[bytes]:
        yield b"x"

    with pytest.raises(InvalidKey):
        await storage.put_stream(key, one())
    with pytest.raises(InvalidKey):
        storage.sign_download(key, 60, name="a.pdf", content_type="application/pdf")


def _sign(storage: ObjectStorage, key: str, ttl_s: int = 300, now: float | None = None) -> str:
    return storage.sign_download(key, ttl_s, name="申请表.pdf", content_type="application/pdf",
                                 now=now)  # fmt: skip


def test_signed_link_valid_expired_tampered(storage: ObjectStorage, tmp_path: Path) -> None:
    now = 1_760_000_000.0
    key = "materials/0b7f3c2e-9a41-4d7e-8f00-123456789abc/5e1d"
    token = _sign(storage, key, now=now)
    assert "/" not in token and "+" not in token and "=" not in token
    grant = storage.verify_download(token, now=now)
    assert (grant.key, grant.name, grant.content_type) == (key, "申请表.pdf", "application/pdf")
    assert storage.verify_download(token, now=now + 299).key == key
    with pytest.raises(SignatureInvalid):
        storage.verify_download(token, now=now + 300)

    # Opaque: neither the storage key, nor the citizen id in it, nor the expiry can be read.
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    for secret_part in (key, "0b7f3c2e-9a41-4d7e-8f00-123456789abc", "0b7f3c2e", "申请表",
                        str(int(now) + 300)):  # fmt: skip
        assert secret_part.encode() not in raw
        assert secret_part not in token
    # Two links to the same file do not even look alike.
    assert _sign(storage, key, now=now) != token

    def encode(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    # Any flipped bit (version, nonce, ciphertext, tag) is refused.
    for at in (0, 1, 13, len(raw) // 2, len(raw) - 1):
        forged = bytearray(raw)
        forged[at] ^= 0x01
        with pytest.raises(SignatureInvalid):
            storage.verify_download(encode(bytes(forged)), now=now)
    # So are links of the old readable format, whatever their MAC.
    old = encode(f"{key}|{int(now) + 300}|{'0' * 64}".encode())
    for junk in (old, "", "!!!", token[:-2], token + "A", "A" * 5000):
        with pytest.raises(SignatureInvalid):
            storage.verify_download(junk, now=now)

    # A token is only as good as the secret that sealed it.
    other = ObjectStorage.local(tmp_path / "other", signing_secret=b"t" * 32, files=FILES)
    with pytest.raises(SignatureInvalid):
        other.verify_download(token, now=now)


def test_signed_link_uses_the_clock_by_default(storage: ObjectStorage) -> None:
    assert storage.verify_download(_sign(storage, "k", 60)).key == "k"
    with pytest.raises(SignatureInvalid) as info:
        storage.verify_download(_sign(storage, "k", 1, now=0))
    assert info.value.status_code == 403
    assert info.value.code == "DOWNLOAD_LINK_INVALID"


def test_short_secret_refused(tmp_path: Path) -> None:
    for secret in (b"", "short"):
        with pytest.raises(ValueError, match="secret"):
            ObjectStorage.local(tmp_path, signing_secret=secret, files=FILES)


def test_s3_store_is_built_from_plain_arguments() -> None:
    # Construction only: nothing is contacted until the first request.
    storage = ObjectStorage.s3(
        "http://127.0.0.1:9000", "handheld", "access", "secret", signing_secret=SECRET,
        files=FILES,
    )  # fmt: skip
    assert storage.verify_download(_sign(storage, "a/b", 60)).key == "a/b"


MARKER = b"PLAINTEXT-MARKER-110105194912310020"


def _document(size: int) -> bytes:
    return (MARKER * (size // len(MARKER) + 1))[:size]


async def _chunks(data: bytes, size: int = 50_000) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def _read(storage: ObjectStorage, key: str) -> bytes:
    return b"".join([c async for c in await storage.get_stream(key)])


async def test_local_files_are_encrypted_at_rest(storage: ObjectStorage, tmp_path: Path) -> None:
    data = _document(300_000)
    await storage.put_stream("materials/c1/a", _chunks(data))
    files = [p for p in (tmp_path / "materials").rglob("*") if p.is_file()]
    assert len(files) == 1
    assert MARKER not in files[0].read_bytes()
    assert MARKER[:12] not in files[0].read_bytes()
    assert await _read(storage, "materials/c1/a") == data


async def test_object_store_path_is_encrypted_too() -> None:
    """The obstore path S3 takes (multipart put, ranged stream) on an in-memory store."""
    store = MemoryStore()
    storage = ObjectStorage(store, signing_secret=SECRET, files=FILES, part_size=64 * 1024)
    data = _document(700_000)
    await storage.put_stream("materials/c1/b", _chunks(data))
    raw = bytes(await (await obstore.get_async(store, "materials/c1/b")).bytes_async())
    assert MARKER not in raw and len(raw) > len(data)
    assert await _read(storage, "materials/c1/b") == data

    # Damage in the stored object: in the first segment the download fails before a byte is
    # served; further on, the stream stops with the error instead of serving altered bytes.
    early = bytearray(raw)
    early[200] ^= 1
    await obstore.put_async(store, "materials/c1/early", bytes(early))
    with pytest.raises(CorruptObject):
        await storage.get_stream("materials/c1/early")
    late = bytearray(raw)
    late[-100] ^= 1
    await obstore.put_async(store, "materials/c1/late", bytes(late))
    served = bytearray()
    with pytest.raises(CorruptObject):
        async for chunk in await storage.get_stream("materials/c1/late"):
            served += chunk
    assert data.startswith(bytes(served)) and len(served) < len(data)


async def test_tampered_local_object_fails_closed(storage: ObjectStorage, tmp_path: Path) -> None:
    await storage.put_stream("materials/c1/t", _chunks(_document(1000)))
    path = tmp_path / "materials" / "materials" / "c1" / "t"
    stored = bytearray(path.read_bytes())
    stored[-5] ^= 0x40
    path.write_bytes(bytes(stored))
    with pytest.raises(CorruptObject):
        await storage.get_stream("materials/c1/t")
    # A plaintext file dropped under the root is refused as well, not served.
    path.write_bytes(b"%PDF-1.7 planted")
    with pytest.raises(CorruptObject):
        await storage.get_stream("materials/c1/t")


async def test_files_written_before_a_key_rotation_still_read(tmp_path: Path) -> None:
    root = tmp_path / "materials"
    before = ObjectStorage.local(root, signing_secret=SECRET, files=FILES)
    await before.put_stream("materials/c1/old", _chunks(_document(100_000)))
    rotated_keys = PiiCipher({"k1": b"K" * 16, "k2": b"Q" * 16}, "k2", b"L" * 32)
    after = ObjectStorage.local(root, signing_secret=SECRET, files=FileCipher(rotated_keys))
    assert await _read(after, "materials/c1/old") == _document(100_000)
    await after.put_stream("materials/c1/new", _chunks(_document(10)))
    new_head = (root / "materials" / "c1" / "new").read_bytes()[:200]
    assert FileCipher(rotated_keys).wrapping_key_id(new_head) == "k2"
    assert await _read(after, "materials/c1/new") == _document(10)


@pytest.mark.parametrize("backend", ["local", "object store"])
async def test_plaintext_opens_for_seeking_parsers(backend: str, tmp_path: Path) -> None:
    if backend == "local":
        storage = ObjectStorage.local(tmp_path, signing_secret=SECRET, files=FILES)
    else:
        storage = ObjectStorage(MemoryStore(), signing_secret=SECRET, files=FILES)
    data = _document(200_000)
    await storage.put_stream("materials/c1/r", _chunks(data))
    with storage.open_plaintext("materials/c1/r") as plain:
        plain.seek(150_000)
        assert plain.read(1000) == data[150_000:151_000]
        plain.seek(0)
        assert plain.read() == data
