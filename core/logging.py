"""Structured JSON logs with the request id, and personal data masked on the way out."""

from __future__ import annotations

import logging
import re
import secrets
import sys
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

import msgspec

REQUEST_ID_HEADER = "x-request-id"
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
_encoder = msgspec.json.Encoder()


def mask_personal_data(text: str) -> str:
    if _MAYBE_PERSONAL.search(text) is None:
        return text
    text = _ID_NUMBER.sub(lambda m: m.group(1) + "*" * 10 + m.group(2), text)
    return _PHONE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


def current_request_id() -> str | None:
    return _request_id.get()


def bind_request_id(incoming: str | None) -> tuple[str, Token[str | None]]:
    """Adopt the caller's X-Request-ID when well-formed, else mint one; returns the reset token."""
    request_id = (
        incoming if incoming and _VALID_REQUEST_ID.match(incoming) else secrets.token_hex(16)
    )
    return request_id, _request_id.set(request_id)


def unbind_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if request_id := _request_id.get():
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        line = _encoder.encode(entry).decode("utf-8", "replace")
        return mask_personal_data(line)


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


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if json
        else _PlainFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # pgqueuer and uvicorn keep their own loggers; route them through ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "pgqueuer"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
