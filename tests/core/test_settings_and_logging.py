from __future__ import annotations

import io
import json
import logging
import random
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from core.logging import (
    JsonFormatter,
    JsonLinesHandler,
    _mask_encoded,
    _timestamp,
    bind_request_id,
    log_request,
    mask_personal_data,
    unbind_request_id,
)
from core.settings import load_settings


def test_settings_from_prefixed_environment() -> None:
    settings = load_settings(
        {
            "HANDHELD_PORT": "9100",
            "HANDHELD_DATA_DIR": "/srv/handheld",
            "HANDHELD_DATABASE_URL": "postgresql://app:s3cret@db/handheld",
            "HANDHELD_DATABASE_STATEMENT_CACHE_SIZE": "0",
            "HANDHELD_PROVINCIAL_BASE_URL": "https://gov.example",
            "OTHER_PORT": "1",
        }
    )
    assert settings.port == 9100
    assert settings.data_dir == Path("/srv/handheld")
    assert settings.database.statement_cache_size == 0
    assert settings.database.url.reveal() == "postgresql://app:s3cret@db/handheld"
    assert settings.provincial.base_url == "https://gov.example"


def test_secrets_never_print() -> None:
    settings = load_settings(
        {
            "HANDHELD_DATABASE_URL": "postgresql://app:s3cret@db/x",
            "HANDHELD_WECHAT_SECRET": "wxsecret",
        }
    )
    for rendering in (repr(settings), str(settings), f"{settings.wechat.secret}"):
        assert "s3cret" not in rendering and "wxsecret" not in rendering


def test_bad_setting_fails_at_start() -> None:
    with pytest.raises(msgspec.ValidationError):
        load_settings({"HANDHELD_PORT": "eighty"})


def test_personal_data_is_masked() -> None:
    line = "citizen 11010519491231002X phone 13812345678 item 620000"
    assert mask_personal_data(line) == "citizen 1101**********002X phone 138****5678 item 620000"


def test_json_log_lines_are_masked() -> None:
    record = logging.LogRecord(
        "t", logging.INFO, __file__, 1, "bound %s", ("11010519491231002X",), None
    )
    record.phone = "13812345678"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["msg"] == "bound 1101**********002X"
    assert entry["phone"] == "138****5678"


@pytest.mark.parametrize("seed", range(5))
def test_a_batch_is_masked_line_by_line_as_each_line_alone(seed: int) -> None:
    """The writer masks a batch by the lines holding 11 digits in a row; every line comes out
    as masking it alone gives, the first and the last included, the rest untouched."""
    rng = random.Random(seed)
    pieces = ["11010519491231002X", "13812345678", "12345678901", "620000", "x", "-", " "]

    def line() -> str:
        return "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 6)))

    lines = ["phone 13812345678", *(line() for _ in range(rng.randrange(0, 40))), "13812345678"]
    batch = "".join(f'{{"msg":"{text}"}}\n' for text in lines).encode()
    masked = _mask_encoded(batch).decode()
    assert masked == "".join(f'{{"msg":"{mask_personal_data(text)}"}}\n' for text in lines)
    assert masked.startswith('{"msg":"phone 138****5678"}')
    assert masked.endswith('{"msg":"138****5678"}\n')


def test_minted_request_ids_are_never_taken_for_personal_data() -> None:
    for _ in range(1000):
        request_id, token = bind_request_id(None)
        unbind_request_id(token)
        assert re.fullmatch(r"[a-z2-7]{24}", request_id)
        assert mask_personal_data(request_id) == request_id


@pytest.fixture
def json_lines() -> Iterator[tuple[JsonLinesHandler, io.StringIO]]:
    """Our handler as the root's only one (pytest's capture handlers set aside)."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    stream = io.StringIO()
    handler = JsonLinesHandler(stream)
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    try:
        yield handler, stream
    finally:
        handler.close()
        root.handlers[:] = saved
        root.setLevel(level)


def test_access_lines_are_the_same_with_or_without_a_record(
    json_lines: tuple[JsonLinesHandler, io.StringIO],
) -> None:
    handler, stream = json_lines
    path = "/api/v1/people/13812345678"
    _, token = bind_request_id("request-0001")
    try:
        log_request("GET", path, 200, 1.25)  # queued as its fields
        logging.getLogger("handheld.access").info(
            "request", extra={"method": "GET", "path": path, "status": 200, "duration_ms": 1.25}
        )  # queued as a record
    finally:
        unbind_request_id(token)
    log_request("POST", "/x", 201, 0.5)  # no request id bound
    handler.flush()
    fast, logged, unbound = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert list(fast) == list(logged)  # the same fields in the same order
    assert {**fast, "ts": None} == {**logged, "ts": None}
    assert fast["path"] == "/api/v1/people/138****5678"
    assert fast["request_id"] == "request-0001"
    assert fast["logger"] == "handheld.access" and fast["msg"] == "request"
    assert "request_id" not in unbound


def test_queued_records_are_rendered_as_they_were_logged(
    json_lines: tuple[JsonLinesHandler, io.StringIO],
) -> None:
    handler, stream = json_lines
    items = ["before"]
    logging.getLogger("t").info("items %s", items, extra={"thing": object()})
    items[0] = "after"
    try:
        raise ValueError("boom 11010519491231002X")
    except ValueError:
        logging.getLogger("t").exception("failed")
    handler.flush()
    first, second = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert first["msg"] == "items ['before']"
    assert first["thing"].startswith("<object object")  # written as its str(), not dropped
    assert second["level"] == "error"
    assert "ValueError: boom 1101**********002X" in second["exc"]


def test_lines_are_written_by_the_writer_thread(
    json_lines: tuple[JsonLinesHandler, io.StringIO],
) -> None:
    """Off the request path: logging only queues; the writer thread writes (a warning wakes
    it at once)."""
    handler, stream = json_lines
    writes: list[str] = []
    write = stream.write

    def record_writer(text: str) -> int:
        writes.append(threading.current_thread().name)
        return write(text)

    stream.write = record_writer  # type: ignore[method-assign]
    logging.getLogger("t").warning("written elsewhere")
    done = threading.Event()
    handler.flush = lambda: (JsonLinesHandler.flush(handler), done.set())[0]  # type: ignore[method-assign]
    assert done.wait(30)
    assert writes == ["log-writer"]


@pytest.mark.parametrize("seed", range(5))
def test_timestamps_as_datetime_writes_them(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(2000):
        created = rng.uniform(0, 4e9)
        expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
        assert _timestamp(created) == expected
    for created in (1.9999996, 1700000000.0, 1700000000.9995, 1700000000.9999999):
        expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
        assert _timestamp(created) == expected
