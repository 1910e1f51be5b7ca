"""The S3 backend against a real S3-compatible server (moto's, a process of its own, over HTTP).

Everything the bucket holds is read back with boto3, a client of its own: the objects at rest,
the multipart uploads in progress and their parts, an object's ETag.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import pytest

from core.filecrypt import CorruptObject, FileCipher
from core.pii import PiiCipher
from core.storage import S3_PART_SIZE, ObjectNotFound, ObjectStorage, SignatureInvalid
from tests.fixtures.objectstore import Bucket

SECRET = b"s" * 32
FILES = FileCipher(PiiCipher({"k1": b"K" * 16}, "k1", b"L" * 32))
CHUNK = 64 * 1024
MARKER = b"PLAINTEXT-MARKER-110105194912310020"


def s3_storage(bucket: Bucket) -> ObjectStorage:
    s = bucket.settings
    return ObjectStorage.s3(
        s["endpoint_url"], s["bucket"], s["access_key"], s["secret_key"],
        signing_secret=SECRET, files=FILES,
    )  # fmt: skip


def _document(size: int) -> bytes:
    return (MARKER * (size // len(MARKER) + 1))[:size]


async def _chunks(data: bytes, size: int = CHUNK) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def _read(storage: ObjectStorage, key: str) -> bytes:
    return b"".join([c async for c in await storage.get_stream(key)])


async def _wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    """Poll ``condition`` (a blocking call, run in a thread) until it holds; a bound only so
    that a broken build fails instead of hanging."""
    for _ in range(600):
        if await asyncio.to_thread(condition):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def test_large_upload_is_streamed_as_a_multipart_upload(s3_bucket: Bucket) -> None:
    storage = s3_storage(s3_bucket)
    size = 12 * 1024 * 1024 + 123
    key = "materials/c1/large"
    sent = hashlib.sha256()
    produced = 0
    parts_before_the_end = 0

    async def produce() -> AsyncIterator[bytes]:
        nonlocal produced, parts_before_the_end
        counter = 0
        while produced < size:
            if size - produced <= CHUNK:
                # The last chunk is not produced yet, and parts are already on the server: the
                # object leaves as it comes, never gathered whole first.
                await _wait_for(lambda: s3_bucket.parts_uploaded() >= 1, "a part uploaded")
                parts_before_the_end = await asyncio.to_thread(s3_bucket.parts_uploaded)
            block = (hashlib.sha256(counter.to_bytes(8, "big")).digest() * (CHUNK // 32))[
                : size - produced
            ]
            counter += 1
            produced += len(block)
            sent.update(block)
            yield block

    await storage.put_stream(key, produce())

    assert parts_before_the_end >= 1
    assert s3_bucket.uploads_in_progress() == []
    head = s3_bucket.head(key)
    # A multipart object's ETag ends in its part count: 5 MiB parts, the last one shorter.
    parts = -(-head["ContentLength"] // S3_PART_SIZE)
    assert parts == 3
    assert head["ETag"].strip('"').endswith(f"-{parts}")
    assert head["ContentLength"] > size  # sealed: a header and a tag per segment

    got = hashlib.sha256()
    biggest = total = 0
    async for chunk in await storage.get_stream(key):
        got.update(chunk)
        total += len(chunk)
        biggest = max(biggest, len(chunk))
    assert (got.hexdigest(), total) == (sent.hexdigest(), size)
    assert biggest <= 1024 * 1024  # streamed back in bounded chunks too


async def test_objects_in_the_bucket_are_encrypted(s3_bucket: Bucket) -> None:
    storage = s3_storage(s3_bucket)
    data = _document(700_000)
    await storage.put_stream("materials/c1/doc", _chunks(data))

    at_rest = s3_bucket.objects()
    assert list(at_rest) == ["materials/c1/doc"]
    raw = at_rest["materials/c1/doc"]
    assert len(raw) > len(data)
    assert MARKER not in raw and MARKER[:12] not in raw
    assert FILES.wrapping_key_id(raw[:200]) == "k1"
    assert await _read(storage, "materials/c1/doc") == data

    # One bit flipped in the bucket (by another client): an error, never altered bytes.
    damaged = bytearray(raw)
    damaged[200] ^= 1
    client = s3_bucket.server.client()
    client.put_object(Bucket=s3_bucket.name, Key="materials/c1/doc", Body=bytes(damaged))
    with pytest.raises(CorruptObject):
        await storage.get_stream("materials/c1/doc")
    # Plaintext planted in the bucket is refused as well, not served.
    client.put_object(Bucket=s3_bucket.name, Key="materials/c1/doc", Body=b"%PDF-1.7 planted")
    with pytest.raises(CorruptObject):
        await storage.get_stream("materials/c1/doc")


async def test_a_failed_upload_leaves_no_object_and_no_open_upload(s3_bucket: Bucket) -> None:
    storage = s3_storage(s3_bucket)

    class Refused(Exception):
        pass

    async def failing() -> AsyncIterator[bytes]:
        for _ in range(2 * S3_PART_SIZE // CHUNK + 3):  # two parts sent, a third begun
            yield _document(CHUNK)
        await _wait_for(lambda: s3_bucket.parts_uploaded() >= 1, "a part uploaded")
        raise Refused

    with pytest.raises(Refused):
        await storage.put_stream("materials/c1/refused", failing())
    assert not await storage.exists("materials/c1/refused")
    assert s3_bucket.objects() == {}
    # Aborted, not left for a lifecycle rule: no parts kept (and billed) on the server.
    assert s3_bucket.uploads_in_progress() == []


async def test_signed_download_reads_from_the_bucket(s3_bucket: Bucket) -> None:
    storage = s3_storage(s3_bucket)
    data = _document(300_000)
    await storage.put_stream("materials/c1/linked", _chunks(data))

    token = storage.sign_download(
        "materials/c1/linked", 300, name="申请表.pdf", content_type="application/pdf"
    )
    grant = storage.verify_download(token)
    assert (grant.key, grant.name) == ("materials/c1/linked", "申请表.pdf")
    assert await _read(storage, grant.key) == data
    with pytest.raises(SignatureInvalid):
        storage.verify_download(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    # The link is ours, not the bucket's: nothing of the bucket or its address is in it.
    assert "handheld-test" not in token and "127.0.0.1" not in token


async def test_delete_removes_the_object_from_the_bucket(s3_bucket: Bucket) -> None:
    storage = s3_storage(s3_bucket)
    await storage.put_stream("materials/c1/gone", _chunks(_document(1000)))
    await storage.put_stream("materials/c1/kept", _chunks(_document(1000)))
    assert await storage.exists("materials/c1/gone")

    await storage.delete("materials/c1/gone")
    assert set(s3_bucket.objects()) == {"materials/c1/kept"}
    assert not await storage.exists("materials/c1/gone")
    with pytest.raises(ObjectNotFound):
        await storage.get_stream("materials/c1/gone")
    await storage.delete("materials/c1/gone")  # idempotent, as on the local backend
    await storage.delete("materials/c1/never-was")


async def test_plaintext_opens_for_seeking_parsers_by_ranged_reads(s3_bucket: Bucket) -> None:
    storage = s3_storage(s3_bucket)
    data = _document(200_000)
    await storage.put_stream("materials/c1/r", _chunks(data))

    def read() -> tuple[bytes, bytes]:
        with storage.open_plaintext("materials/c1/r") as plain:
            plain.seek(150_000)
            middle = plain.read(1000)
            plain.seek(0)
            return middle, plain.read()

    middle, whole = await asyncio.to_thread(read)
    assert middle == data[150_000:151_000]
    assert whole == data
