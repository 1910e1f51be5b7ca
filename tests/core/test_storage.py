from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.storage import InvalidKey, ObjectNotFound, ObjectStorage, SignatureInvalid

SECRET = b"s" * 32
CHUNK = 64 * 1024


@pytest.fixture
def storage(tmp_path: Path) -> ObjectStorage:
    return ObjectStorage.local(tmp_path / "materials", signing_secret=SECRET)


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
    assert (tmp_path / "materials" / "cases" / "abc" / "0123456789abcdef").stat().st_size == size
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
        storage.sign_download(key, 60)


def test_signed_link_valid_expired_tampered(storage: ObjectStorage, tmp_path: Path) -> None:
    now = 1_760_000_000.0
    token = storage.sign_download("cases/abc/1", ttl_s=300, now=now)
    assert "/" not in token and "+" not in token and "=" not in token
    assert storage.verify_download(token, now=now) == "cases/abc/1"
    assert storage.verify_download(token, now=now + 299) == "cases/abc/1"
    with pytest.raises(SignatureInvalid):
        storage.verify_download(token, now=now + 300)

    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    key, expiry, mac = raw.split("|")

    def encode(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()

    # Another key, a later expiry, a flipped MAC character: all refused.
    for forged in (
        f"cases/abc/2|{expiry}|{mac}",
        f"{key}|{int(expiry) + 3600}|{mac}",
        f"{key}|{expiry}|{mac[:-1]}{'0' if mac[-1] != '0' else '1'}",
        f"{key}|{expiry}",
        "garbage",
    ):
        with pytest.raises(SignatureInvalid):
            storage.verify_download(encode(forged), now=now)
    for junk in ("", "!!!", token[:-2], token + "A"):
        with pytest.raises(SignatureInvalid):
            storage.verify_download(junk, now=now)

    # A token is only as good as the secret that signed it.
    other = ObjectStorage.local(tmp_path / "other", signing_secret=b"t" * 32)
    with pytest.raises(SignatureInvalid):
        other.verify_download(token, now=now)


def test_signed_link_uses_the_clock_by_default(storage: ObjectStorage) -> None:
    assert storage.verify_download(storage.sign_download("k", 60)) == "k"
    with pytest.raises(SignatureInvalid) as info:
        storage.verify_download(storage.sign_download("k", 1, now=0))
    assert info.value.status_code == 403
    assert info.value.code == "DOWNLOAD_LINK_INVALID"


def test_short_secret_refused(tmp_path: Path) -> None:
    for secret in (b"", "short"):
        with pytest.raises(ValueError, match="secret"):
            ObjectStorage.local(tmp_path, signing_secret=secret)


def test_s3_store_is_built_from_plain_arguments() -> None:
    # Construction only: nothing is contacted until the first request.
    storage = ObjectStorage.s3(
        "http://127.0.0.1:9000", "handheld", "access", "secret", signing_secret=SECRET
    )
    assert storage.verify_download(storage.sign_download("a/b", 60)) == "a/b"
