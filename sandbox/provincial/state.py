"""Catalogue state of the provincial stand-in: items, the global change sequence, persistence.

Every change to an item (seed creation, edit, suspension, resumption, addition) gives the item
the next value of one global change sequence. The change feed lists items whose latest change
is after a position, so an item changed twice appears once, at its latest position.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from sandbox.provincial.models import Item
from sandbox.provincial.seed import build_seed

STATE_FILE = "provincial.json"
_FORMAT = 1


class InvalidCursor(ValueError):
    """The cursor is not one this server issued."""


class InvalidItem(ValueError):
    """A control request carried an item that does not satisfy the wire model."""


class _Entry(msgspec.Struct):
    seq: int
    item: Item


class _Snapshot(msgspec.Struct):
    format: int
    seq: int
    entries: list[_Entry]


@dataclass(frozen=True)
class FeedPosition:
    """Where a client is in the change feed; the cursor is this, encoded."""

    seq: int
    since: dt.datetime | None = None


@dataclass(frozen=True)
class ChangePage:
    items: list[Item]
    next_position: FeedPosition
    has_more: bool


def encode_cursor(position: FeedPosition) -> str:
    text = f"seq:{position.seq}"
    if position.since is not None:
        text += ";since:" + position.since.astimezone(dt.UTC).isoformat()
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> FeedPosition:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidCursor("cursor is not valid base64url") from exc
    parts: dict[str, str] = {}
    for part in text.split(";"):
        key, _, value = part.partition(":")
        parts[key] = value
    seq_text = parts.pop("seq", "")
    since_text = parts.pop("since", None)
    if parts or not seq_text.isdigit() or not seq_text.isascii():
        raise InvalidCursor("cursor is malformed")
    since = None
    if since_text is not None:
        try:
            since = parse_time(since_text)
        except ValueError as exc:
            raise InvalidCursor("cursor is malformed") from exc
    return FeedPosition(seq=int(seq_text), since=since)


def parse_time(text: str) -> dt.datetime:
    """Parse an RFC 3339 timestamp; an offset (or Z) is mandatory."""
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None or "T" not in text.upper():
        raise ValueError("timestamp needs a date, a time and an offset")
    return value.astimezone(dt.UTC)


def format_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> str:
    return format_time(dt.datetime.now(dt.UTC))


class CatalogState:
    """Items and change sequence, persisted to ``data_dir/provincial.json`` when a dir is given."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self._path = data_dir / STATE_FILE if data_dir is not None else None
        self._entries: dict[str, _Entry] = {}
        self._seq = 0
        if self._path is not None and self._path.exists():
            self._load(self._path)
        else:
            self.reset()

    # -- reading ---------------------------------------------------------------------------

    @property
    def seq(self) -> int:
        """The latest change sequence value (0 for an empty catalogue)."""
        return self._seq

    def get(self, code: str) -> Item | None:
        entry = self._entries.get(code)
        return entry.item if entry else None

    def all_items(self) -> list[Item]:
        return [e.item for e in sorted(self._entries.values(), key=lambda e: e.seq)]

    def changes(self, position: FeedPosition, limit: int) -> ChangePage:
        """Items changed after ``position`` (and updated at/after its ``since``), by seq."""
        matching = sorted(
            (
                e
                for e in self._entries.values()
                if e.seq > position.seq
                and (position.since is None or parse_time(e.item.updated_at) >= position.since)
            ),
            key=lambda e: e.seq,
        )
        page = matching[:limit]
        has_more = len(matching) > limit
        if has_more:
            # More matching items remain past the page: keep the filter for the next call.
            next_position = FeedPosition(seq=page[-1].seq, since=position.since)
        else:
            # Every change up to the current sequence has been seen (or filtered out), so the
            # next call only needs the changes made from now on.
            next_position = FeedPosition(seq=max(self._seq, position.seq))
        return ChangePage(
            items=[e.item for e in page], next_position=next_position, has_more=has_more
        )

    # -- changing --------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the seed catalogue, seq 1..N in seed order."""
        self._entries = {}
        self._seq = 0
        for item in build_seed():
            self._seq += 1
            self._entries[item.code] = _Entry(seq=self._seq, item=item)
        self._save()

    def suspend(self, code: str, reason: str) -> Item:
        return self._change(code, {"status": "suspended", "statusReason": reason})

    def resume(self, code: str) -> Item:
        return self._change(code, {"status": "active", "statusReason": None})

    def patch(self, code: str, fields: dict[str, Any]) -> Item:
        """Merge top-level fields into an item. Raises KeyError / InvalidItem."""
        if "code" in fields and fields["code"] != code:
            raise InvalidItem("the code of an item cannot change")
        return self._change(code, fields)

    def upsert(self, body: dict[str, Any]) -> tuple[Item, bool]:
        """Add an item, or replace the item with the same code. Returns (item, created)."""
        previous = self._entries.get(str(body.get("code")))
        data = dict(body)
        data["version"] = previous.item.version + 1 if previous else 1
        data["updatedAt"] = _now()
        item = self._convert(data)
        self._record(item)
        return item, previous is None

    def _change(self, code: str, fields: dict[str, Any]) -> Item:
        current = self._entries[code].item
        data: dict[str, Any] = msgspec.to_builtins(current)
        data.update(fields)
        data["version"] = current.version + 1
        data["updatedAt"] = _now()
        item = self._convert(data)
        self._record(item)
        return item

    @staticmethod
    def _convert(data: dict[str, Any]) -> Item:
        try:
            return msgspec.convert(data, Item)
        except msgspec.ValidationError as exc:
            raise InvalidItem(str(exc)) from exc

    def _record(self, item: Item) -> None:
        self._seq += 1
        self._entries[item.code] = _Entry(seq=self._seq, item=item)
        self._save()

    # -- persistence -----------------------------------------------------------------------

    def _load(self, path: Path) -> None:
        snapshot = msgspec.json.decode(path.read_bytes(), type=_Snapshot)
        if snapshot.format != _FORMAT:
            raise ValueError(f"{path}: unsupported state format {snapshot.format}")
        self._entries = {e.item.code: e for e in snapshot.entries}
        self._seq = snapshot.seq

    def _save(self) -> None:
        if self._path is None:
            return
        snapshot = _Snapshot(
            format=_FORMAT,
            seq=self._seq,
            entries=sorted(self._entries.values(), key=lambda e: e.seq),
        )
        data = msgspec.json.format(msgspec.json.encode(snapshot), indent=1)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".provincial-", suffix=".tmp", dir=self._path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self._path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
