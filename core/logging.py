"""Structured JSON logs with the request id, and personal data masked on the way out.

Lines are encoded and written by a thread, in batches (``JsonLinesHandler``): the request path
only queues them. See docs/architecture.md ("Logs").
"""

from __future__ import annotations

import base64
import logging
import os
import re
import secrets
import signal
import sys
import threading
import time
import weakref
from contextvars import ContextVar, Token
from types import FrameType
from typing import IO, Any, cast

import msgspec

REQUEST_ID_HEADER = "x-request-id"
ACCESS_LOGGER = "handheld.access"
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# Citizen ID numbers (18 chars, last may be X) and mainland mobile numbers, masked as
# docs/domain.md §9 shows: keep the first 4 / last 4 (ID) or first 3 / last 4 (phone).
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])([0-9]{4})[0-9]{10}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")
# Both need 11 digits in a row; most lines have none, and this check is 5x cheaper.
_MAYBE_PERSONAL = re.compile(r"[0-9]{11}")

_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)
# An extra value msgspec cannot encode is written as its str(), not dropped with its line.
_encoder = msgspec.json.Encoder(enc_hook=str)
# Every ASCII digit to "0", every other byte to " ": a run of 11 digits becomes a plain
# substring search, much cheaper than a regex over a batch of lines.
_DIGITS_ONLY = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_ELEVEN_DIGITS = b"0" * 11


def mask_personal_data(text: str) -> str:
    if _MAYBE_PERSONAL.search(text) is None:
        return text
    text = _ID_NUMBER.sub(lambda m: m.group(1) + "*" * 10 + m.group(2), text)
    return _PHONE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


def _mask_encoded(lines: bytes) -> bytes:
    """``mask_personal_data`` over UTF-8 encoded JSON lines (one per ``\n``), line by line.

    The patterns run over the lines that hold 11 digits in a row, not over the whole batch:
    a batch of a thousand lines nearly always has one (a client's request id, a case number),
    and both patterns over all of it cost more than the rest of the batch's writing."""
    digits = lines.translate(_DIGITS_ONLY)
    found = digits.find(_ELEVEN_DIGITS)
    if found < 0:
        return lines
    parts: list[bytes] = []
    done = 0
    while found >= 0:
        start = lines.rfind(b"\n", done, found) + 1 or done
        end = lines.find(b"\n", found)
        end = len(lines) if end < 0 else end + 1
        line = mask_personal_data(lines[start:end].decode("utf-8"))
        parts += (lines[done:start], line.encode("utf-8"))
        done = end
        found = digits.find(_ELEVEN_DIGITS, done)
    parts.append(lines[done:])
    return b"".join(parts)


_second: tuple[int, str] = (-1, "")


def _timestamp(created: float) -> str:
    """``datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")``, with the
    date and time of the current second formatted once."""
    global _second
    whole = int(created)
    micros = round((created - whole) * 1e6)  # rounded as datetime.fromtimestamp does
    if micros >= 1_000_000:
        whole, micros = whole + 1, micros - 1_000_000
    second, prefix = _second
    if second != whole:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
        _second = (whole, prefix)
    return f"{prefix}.{micros // 1000:03d}+00:00"


def current_request_id() -> str | None:
    return _request_id.get()


def _mint_request_id() -> str:
    """120 random bits in lower-case base32 (a-z, 2-7: no 0, 1, 8 or 9). A hex id held 11
    digits in a row one time in twenty, which sent the log's masking over its line, and one in
    650 was masked as a phone number: the log lost the id the client was given."""
    return base64.b32encode(secrets.token_bytes(15)).decode().lower()


def bind_request_id(incoming: str | None) -> tuple[str, Token[str | None]]:
    """Adopt the caller's X-Request-ID when well-formed, else mint one; returns the reset token."""
    request_id = incoming if incoming and _VALID_REQUEST_ID.match(incoming) else _mint_request_id()
    return request_id, _request_id.set(request_id)


def unbind_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)


class JsonFormatter(logging.Formatter):
    def entry(self, record: logging.LogRecord, request_id: str | None) -> dict[str, Any]:
        """The fields of ``record``'s line; ``request_id`` is the one bound when it was made."""
        entry: dict[str, Any] = {
            "ts": _timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return entry

    def format(self, record: logging.LogRecord) -> str:
        line = _encoder.encode(self.entry(record, _request_id.get())).decode("utf-8", "replace")
        return mask_personal_data(line)


class _AccessLine(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An access log line, fields in the order ``JsonFormatter`` writes them."""

    ts: str
    level: str
    logger: str
    msg: str
    request_id: str | None = None  # left out when none is bound, as JsonFormatter does
    method: str
    path: str
    status: int
    duration_ms: float


class JsonLinesHandler(logging.Handler):
    """JSON lines to a stream, written by a thread in batches, off the request path.

    ``emit`` only queues the record, with the request id bound at that moment (its message is
    rendered first when it has arguments, and its traceback, as ``QueueHandler`` does, so that
    nothing it refers to can change before it is written). A thread wakes every
    ``FLUSH_INTERVAL_S`` (at once for a warning or worse, or when ``BATCH`` records wait),
    encodes what is queued in one msgspec call, masks personal data over the batch, and
    writes it in one call. ``flush`` and ``close`` write what is queued; ``logging.shutdown``
    calls them at exit, and SIGTERM's default action is preceded by a flush
    (``configure_logging``), so a process that stops loses no line. When the stream stops
    taking lines (a stalled log reader), requests go on and lines wait, up to ``MAX_PENDING``.

    The access log skips the ``LogRecord`` too (``log_request``): its line is queued as its
    fields when this handler is the only one that would see it.
    """

    FLUSH_INTERVAL_S = 0.1
    BATCH = 1024
    MAX_PENDING = 50_000  # ~10 s of a busy process's lines, ~15 MB

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self._stream = stream if stream is not None else sys.stderr
        self._pending: list[logging.LogRecord | tuple[Any, ...]] = []
        # Re-entrant: SIGTERM may interrupt the main thread inside flush (_flush_then_terminate).
        self._written = threading.RLock()
        self._wake = threading.Event()
        self._stopped = False
        self._start_writer()

    def _start_writer(self) -> None:
        self._writer = threading.Thread(target=self._run, name="log-writer", daemon=True)
        self._writer.start()

    def emit(self, record: logging.LogRecord) -> None:
        if record.args:
            record.msg, record.args = record.getMessage(), None
        if record.exc_info:
            formatter = self.formatter or JsonFormatter()
            record.exc_text = record.exc_text or formatter.formatException(record.exc_info)
            record.exc_info = None
        record._request_id = _request_id.get()
        self._queue(record, urgent=record.levelno >= logging.WARNING)

    def access(self, method: str, path: str, status: int, duration_ms: float) -> None:
        self._queue((time.time(), _request_id.get(), method, path, status, duration_ms))

    def _queue(self, item: logging.LogRecord | tuple[Any, ...], *, urgent: bool = False) -> None:
        pending = self._pending
        pending.append(item)  # atomic; the writer only ever removes from the front
        waiting = len(pending)
        if waiting >= self.MAX_PENDING:
            # The stream has stopped taking lines (a stalled reader) for a long while: wait for
            # it here, as a plain stream handler would, rather than hold lines without bound.
            self.flush()
        elif urgent or waiting >= self.BATCH:
            self._wake.set()

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(self.FLUSH_INTERVAL_S)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        with self._written:
            pending = self._pending
            count = len(pending)
            if not count:
                return
            batch = pending[:count]
            del pending[:count]
            formatter = cast("JsonFormatter", self.formatter)
            lines = [
                _AccessLine(
                    ts=_timestamp(item[0]),
                    level="info",
                    logger=ACCESS_LOGGER,
                    msg="request",
                    request_id=item[1],
                    method=item[2],
                    path=item[3],
                    status=item[4],
                    duration_ms=item[5],
                )
                if isinstance(item, tuple)
                else formatter.entry(item, item._request_id)  # type: ignore[attr-defined]
                for item in batch
            ]
            self._write(_mask_encoded(_encoder.encode_lines(lines)))

    def _write(self, data: bytes) -> None:
        try:
            binary = getattr(self._stream, "buffer", None)
            if binary is not None:
                binary.write(data)
            else:  # a text-only stream (a test's capture)
                self._stream.write(data.decode("utf-8", "replace"))
            self._stream.flush()
        except (OSError, ValueError):
            pass  # stderr gone (closed pipe): nowhere left to say so

    def close(self) -> None:
        self._stopped = True
        self._wake.set()
        if self._writer.is_alive() and self._writer is not threading.current_thread():
            self._writer.join(5)
        self.flush()
        super().close()

    def _after_fork(self) -> None:
        # The child inherits the queue (the parent writes those lines) but not the thread.
        self._pending = []
        self._written = threading.RLock()
        self._wake = threading.Event()
        if not self._stopped:
            self._start_writer()


_handlers: weakref.WeakSet[JsonLinesHandler] = weakref.WeakSet()


def _restart_writers_after_fork() -> None:
    for handler in list(_handlers):
        handler._after_fork()


os.register_at_fork(after_in_child=_restart_writers_after_fork)
_access_logger = logging.getLogger(ACCESS_LOGGER)


def log_request(method: str, path: str, status: int, duration_ms: float) -> None:
    """The access log line of a request (logger ``handheld.access``, level INFO, message
    ``request``, those four fields as extras).

    When a ``JsonLinesHandler`` is the one handler this line would reach, its fields go
    straight to it: the same line, without building a ``LogRecord`` on the request path.
    Otherwise (plain logs, a test capturing records, an added handler) it is logged as usual.
    """
    logger = _access_logger
    if not logger.isEnabledFor(logging.INFO) or logger.disabled:
        return
    target = _sole_json_handler(logger)
    if target is not None:
        target.access(method, path, status, duration_ms)
        return
    logger.info(
        "request",
        extra={"method": method, "path": path, "status": status, "duration_ms": duration_ms},
    )


def _sole_json_handler(logger: logging.Logger) -> JsonLinesHandler | None:
    found: JsonLinesHandler | None = None
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return None
        for handler in current.handlers:
            if found is not None or not isinstance(handler, JsonLinesHandler):
                return None
            if handler.filters or handler.level > logging.INFO:
                return None
            found = handler
        if not current.propagate:
            break
        current = current.parent
    return found


class _PlainFormatter(logging.Formatter):
    """For a person at a terminal (``handheld dev``): one line, extras as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = _request_id.get()
        prefix = f"[{request_id}] " if request_id else ""
        extras = " ".join(
            f"{key}={value}"
            for key, value in record.__dict__.items()
            if key not in _STANDARD_ATTRS and not key.startswith("_")
        )
        line = prefix + super().format(record) + (" " + extras if extras else "")
        return mask_personal_data(line)


def _flush_then_terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM's default action ends a process without running its exit handlers: write the
    queued lines first, then end it by the same signal (the exit status a supervisor
    expects). uvicorn captures SIGTERM while it serves and hands it here once it has shut
    down gracefully."""
    for handler in list(_handlers):
        handler.flush()
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    root = logging.getLogger()
    for previous in root.handlers:
        if isinstance(previous, JsonLinesHandler):
            previous.close()  # writes what it still holds
    handler: logging.Handler
    if json:
        handler = JsonLinesHandler(sys.stderr)
        _handlers.add(handler)
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
        ):
            signal.signal(signal.SIGTERM, _flush_then_terminate)
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_PlainFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Our lines carry none of these: the logging HOWTO's "Optimization" switches, which spare
    # every record a stack walk (caller file and line), and thread and process look-ups.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # pgqueuer and uvicorn keep their own loggers; route them through ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "pgqueuer"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
