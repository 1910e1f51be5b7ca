"""All SQL of declarations, materials and the platform's event inbox; rows come back as the
typed Structs below (fields named as the query's columns)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import msgspec

from api.declarations.schemas import DepartmentCountRow, SupervisedRow
from core.db import Connection, many, many_by_position, one


class _Row(msgspec.Struct, frozen=True, kw_only=True):
    pass


class DeclarationRow(_Row, frozen=True, kw_only=True):
    id: uuid.UUID
    citizen_id: uuid.UUID
    item_code: str
    item_name: str
    state: str
    delivery: str
    form_data: dict[str, Any]
    case_number: str | None
    platform_version: int
    submit_key: str | None
    supplement_notice: dict[str, Any] | None
    tolerated_missing: list[str]
    result: dict[str, Any] | None
    submitted_at: datetime | None
    accepted_at: datetime | None
    finished_at: datetime | None
    pre_review_due: date | None
    promised_due: date | None
    supervision: str
    pre_review_due_provisional: bool
    promised_due_provisional: bool
    created_at: datetime
    updated_at: datetime
    delivery_refusal: dict[str, Any] | None
    submit_round: int


class SubmitTarget(DeclarationRow, frozen=True, kw_only=True):
    # The declaration that already carries the submit's Idempotency-Key, if any.
    key_holder: uuid.UUID | None


class SummaryRow(_Row, frozen=True, kw_only=True):
    id: str  # as text: the summary the citizen sees is built from the row's attributes as is
    item_code: str
    item_name: str
    state: str
    delivery: str
    case_number: str | None
    submitted_at: datetime | None
    promised_due: date | None
    promised_due_provisional: bool
    supervision: str
    updated_at: datetime
    total: int


# SummaryRow's fields in their order: the list is read by position (core.db.many_by_position).
_SUMMARY_COLUMNS = """id::text AS id, item_code, item_name, state, delivery, case_number,
    submitted_at, promised_due, promised_due_provisional, supervision, updated_at,
    count(*) OVER () AS total"""


class EventRow(_Row, frozen=True, kw_only=True):
    from_state: str | None
    to_state: str
    actor: str
    reason: str | None
    details: dict[str, Any] | None
    at: datetime
    # The person who took a citizen-side step for the owner (docs/acting-as.md).
    acted_by: uuid.UUID | None = None


class LibraryRow(_Row, frozen=True, kw_only=True):
    id: uuid.UUID
    size: int
    kind: str
    content_type: str
    display_name: str
    created_at: datetime
    sha256: str


class MaterialRow(LibraryRow, frozen=True, kw_only=True):
    storage_key: str


class AttachedRow(_Row, frozen=True, kw_only=True):
    material_code: str
    material_id: uuid.UUID | None
    licence_number: str | None
    needs_replacement: bool
    problem: str | None
    display_name: str | None
    size: int | None
    kind: str | None
    content_type: str | None
    sha256: str | None


class StoredEventRow(_Row, frozen=True, kw_only=True):
    event_id: str
    sequence: int
    body: dict[str, Any]


class OpenCaseRow(_Row, frozen=True, kw_only=True):
    id: uuid.UUID
    citizen_id: uuid.UUID
    item_name: str
    state: str
    pre_review_due: date | None
    promised_due: date | None
    supervision: str


class DeadlineBasisRow(_Row, frozen=True, kw_only=True):
    id: uuid.UUID
    citizen_id: uuid.UUID
    item_name: str
    state: str
    pre_review_due: date | None
    pre_review_due_provisional: bool
    pre_review_from: date | None
    promised_due: date | None
    promised_due_provisional: bool
    promised_from: date | None
    promised_days: int | None


_COLUMNS = """id, citizen_id, item_code, item_name, state, delivery, form_data,
    case_number, platform_version, submit_key, supplement_notice, tolerated_missing, result,
    submitted_at, accepted_at, finished_at, pre_review_due, promised_due, supervision,
    pre_review_due_provisional, promised_due_provisional, created_at, updated_at,
    delivery_refusal, submit_round"""
_DECLARATION = f"SELECT {_COLUMNS} FROM declarations"
_EVENT_FIELDS = [field.name for field in msgspec.structs.fields(EventRow)]


def _timeline_of(declaration_id: str) -> str:
    """A column: the timeline of ``declaration_id`` (an SQL expression) as a JSON array, in
    order, its times in UTC as asyncpg would give them: read with the row it belongs to."""
    return f"""(SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'from_state', e.from_state, 'to_state', e.to_state, 'actor', e.actor,
                    'reason', e.reason, 'details', e.details, 'acted_by', e.acted_by,
                    'at', to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')) -- zone-free: UTC
                    ORDER BY e.id), '[]'::jsonb)
                  FROM declaration_events e WHERE e.declaration_id = {declaration_id}) AS timeline"""


def _with_timeline(record: Any) -> tuple[dict[str, Any], list[EventRow]]:
    fields = dict(record)
    return fields, msgspec.convert(fields.pop("timeline"), list[EventRow])


async def create(
    conn: Connection,
    citizen_id: uuid.UUID,
    item_code: str,
    item_name: str,
    *,
    department_code: str,
    region_code: str,
    channel: str,
    hall_visit: bool,
    form_data: dict[str, Any],
) -> tuple[DeclarationRow, EventRow]:
    """A new draft and the first entry of its timeline, in one statement: the row as stored
    and that entry (the whole timeline of a new draft)."""
    record = await conn.fetchrow(
        f"""WITH created AS (
                INSERT INTO declarations (id, citizen_id, item_code, item_name, department_code,
                    region_code, channel, hall_visit, form_data)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                RETURNING {_COLUMNS}),
            logged AS (
                INSERT INTO declaration_events (declaration_id, from_state, to_state, actor)
                SELECT id, NULL, state, 'citizen' FROM created
                RETURNING from_state, to_state, actor, reason, details, at, acted_by)
            SELECT created.*, logged.from_state AS event_from_state,
                   logged.to_state AS event_to_state, logged.actor AS event_actor,
                   logged.reason AS event_reason, logged.details AS event_details,
                   logged.at AS event_at, logged.acted_by AS event_acted_by
              FROM created, logged""",
        uuid.uuid4(),
        citizen_id,
        item_code,
        item_name,
        department_code,
        region_code,
        channel,
        hall_visit,
        form_data,
    )
    assert record is not None
    fields = dict(record)
    event = EventRow(**{name: fields.pop("event_" + name) for name in _EVENT_FIELDS})
    return DeclarationRow(**fields), event


async def get(
    conn: Connection, declaration_id: uuid.UUID, citizen_id: uuid.UUID, *, lock: bool = False
) -> DeclarationRow | None:
    return one(
        DeclarationRow,
        await conn.fetchrow(
            _DECLARATION + " WHERE id = $1 AND citizen_id = $2" + (" FOR UPDATE" if lock else ""),
            declaration_id,
            citizen_id,
        ),
    )


async def for_submit(
    conn: Connection, declaration_id: uuid.UUID, citizen_id: uuid.UUID, key: str
) -> SubmitTarget | None:
    """The citizen's declaration, locked, with the declaration that already used ``key`` to
    submit (one round trip for both)."""
    return one(
        SubmitTarget,
        await conn.fetchrow(
            f"""SELECT {_COLUMNS}, (SELECT o.id FROM declarations o
                       WHERE o.citizen_id = $2 AND o.submit_key = $3) AS key_holder
                  FROM declarations WHERE id = $1 AND citizen_id = $2 FOR UPDATE""",
            declaration_id,
            citizen_id,
            key,
        ),
    )


async def get_for_system(
    conn: Connection, declaration_id: uuid.UUID, *, lock: bool = True
) -> DeclarationRow | None:
    return one(
        DeclarationRow,
        await conn.fetchrow(
            _DECLARATION + " WHERE id = $1" + (" FOR UPDATE" if lock else ""), declaration_id
        ),
    )


async def by_case(conn: Connection, case_number: str) -> DeclarationRow | None:
    return one(
        DeclarationRow,
        await conn.fetchrow(_DECLARATION + " WHERE case_number = $1 FOR UPDATE", case_number),
    )


async def by_submit_key(conn: Connection, citizen_id: uuid.UUID, key: str) -> DeclarationRow | None:
    return one(
        DeclarationRow,
        await conn.fetchrow(
            _DECLARATION + " WHERE citizen_id = $1 AND submit_key = $2", citizen_id, key
        ),
    )


async def list_for(
    conn: Connection,
    citizen_id: uuid.UUID,
    state: str | None,
    limit: int,
    offset: int,
    *,
    items: list[str] | None = None,
) -> tuple[list[SummaryRow], int]:
    """``items``: only declarations of these items (a mandate's; None: all)."""
    rows = await conn.fetch(
        f"""SELECT {_SUMMARY_COLUMNS}
             FROM declarations
            WHERE citizen_id = $1 AND ($2::text IS NULL OR state = $2)
              AND ($5::text[] IS NULL OR item_code = ANY($5::text[]))
            ORDER BY created_at DESC, id LIMIT $3 OFFSET $4""",
        citizen_id,
        state,
        limit,
        offset,
        items,
    )
    summaries = many_by_position(SummaryRow, rows)
    return summaries, summaries[0].total if summaries else 0


async def move(
    conn: Connection,
    declaration_id: uuid.UUID,
    from_state: str,
    to_state: str,
    actor: str,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    **fields: Any,
) -> DeclarationRow:
    """Change state (the trigger refuses illegal moves), set ``fields``, append to the timeline:
    one statement, answering the row as it is now."""
    return (
        await _move(conn, declaration_id, from_state, to_state, actor, reason, details, fields)
    )[0]


async def move_logged(
    conn: Connection,
    declaration_id: uuid.UUID,
    from_state: str,
    to_state: str,
    actor: str,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    **fields: Any,
) -> tuple[DeclarationRow, list[EventRow]]:
    """``move`` to another state of a row this transaction has locked, answering its whole
    timeline too (what was there when the statement began, which the lock makes all of it,
    and the entry appended)."""
    assert from_state != to_state or details
    row, timeline = await _move(
        conn, declaration_id, from_state, to_state, actor, reason, details, fields, timeline=True
    )
    assert timeline is not None
    return row, timeline


async def _move(
    conn: Connection,
    declaration_id: uuid.UUID,
    from_state: str,
    to_state: str,
    actor: str,
    reason: str | None,
    details: dict[str, Any] | None,
    fields: dict[str, Any],
    *,
    timeline: bool = False,
) -> tuple[DeclarationRow, list[EventRow] | None]:
    assignments = ["state = $2", "updated_at = now()"]
    args: list[Any] = [declaration_id, to_state]
    for name, value in fields.items():
        args.append(value)
        assignments.append(f"{name} = ${len(args)}")
    update = f"UPDATE declarations SET {', '.join(assignments)} WHERE id = $1 RETURNING {_COLUMNS}"
    events = None
    if from_state == to_state and not details:
        row = await conn.fetchrow(update, *args)
        moved = one(DeclarationRow, row)
    else:
        args += [from_state, actor, reason, details]
        n = len(args)
        # The timeline as the statement's snapshot holds it (without the entry it appends).
        timeline_column = (
            ", "
            + ", ".join(f"logged.{f} AS event_{f}" for f in _EVENT_FIELDS)
            + ", "
            + _timeline_of("moved.id")
            if timeline
            else ""
        )
        row = await conn.fetchrow(
            f"""WITH moved AS ({update}), logged AS (
                    INSERT INTO declaration_events
                        (declaration_id, from_state, to_state, actor, reason, details)
                    SELECT id, ${n - 3}::text, state, ${n - 2}::text, ${n - 1}::text,
                           ${n}::jsonb FROM moved
                    RETURNING from_state, to_state, actor, reason, details, at, acted_by)
                SELECT moved.*{timeline_column}
                  FROM moved, logged""",
            *args,
        )
        if row is not None and timeline:
            values = dict(row)
            event = EventRow(**{name: values.pop("event_" + name) for name in _EVENT_FIELDS})
            events = [*msgspec.convert(values.pop("timeline"), list[EventRow]), event]
            moved = DeclarationRow(**values)
        else:
            moved = one(DeclarationRow, row)
    assert moved is not None, declaration_id
    return moved, events


async def update(conn: Connection, declaration_id: uuid.UUID, **fields: Any) -> DeclarationRow:
    assignments, args = ["updated_at = now()"], [declaration_id]
    for name, value in fields.items():
        args.append(value)
        assignments.append(f"{name} = ${len(args)}")
    updated = one(
        DeclarationRow,
        await conn.fetchrow(
            f"UPDATE declarations SET {', '.join(assignments)} WHERE id = $1 RETURNING {_COLUMNS}",
            *args,
        ),
    )
    assert updated is not None, declaration_id
    return updated


async def save_form(
    conn: Connection, declaration_id: uuid.UUID, citizen_id: uuid.UUID, form_data: dict[str, Any]
) -> tuple[DeclarationRow, list[EventRow]] | None:
    """The form of the citizen's draft replaced: the row as stored and its timeline (one
    statement); None when no draft of theirs has this id."""
    record = await conn.fetchrow(
        f"""WITH saved AS (
                UPDATE declarations SET updated_at = now(), form_data = $3
                 WHERE id = $1 AND citizen_id = $2 AND state = 'draft' RETURNING {_COLUMNS})
            SELECT saved.*, {_timeline_of("saved.id")} FROM saved""",
        declaration_id,
        citizen_id,
        form_data,
    )
    if record is None:
        return None
    fields, timeline = _with_timeline(record)
    return DeclarationRow(**fields), timeline


async def acting(conn: Connection, actor_id: uuid.UUID | None) -> None:
    """Who the timeline steps of this transaction are taken by, when they act for the owner:
    ``declaration_events.acted_by`` defaults to it (migration 0037; transaction-local)."""
    if actor_id is not None:
        await conn.execute("SELECT set_config('handheld.acted_by', $1, true)", str(actor_id))


async def submitted_by(conn: Connection, declaration_id: uuid.UUID) -> uuid.UUID | None:
    """The person who submitted for the owner (the last submission), if someone did."""
    value: uuid.UUID | None = await conn.fetchval(
        """SELECT acted_by FROM declaration_events
            WHERE declaration_id = $1 AND to_state = 'submitted' ORDER BY id DESC LIMIT 1""",
        declaration_id,
    )
    return value


async def add_event(
    conn: Connection,
    declaration_id: uuid.UUID,
    from_state: str | None,
    to_state: str,
    actor: str,
    reason: str | None,
    details: dict[str, Any] | None,
) -> None:
    await conn.execute(
        """INSERT INTO declaration_events (declaration_id, from_state, to_state, actor, reason, details)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        declaration_id,
        from_state,
        to_state,
        actor,
        reason,
        details,
    )


async def events(conn: Connection, declaration_id: uuid.UUID) -> list[EventRow]:
    return many(
        EventRow,
        await conn.fetch(
            """SELECT from_state, to_state, actor, reason, details, at, acted_by
                 FROM declaration_events WHERE declaration_id = $1 ORDER BY id""",
            declaration_id,
        ),
    )


# --- materials ----------------------------------------------------------------------------------


async def library_add(
    conn: Connection,
    *,
    citizen_id: uuid.UUID,
    sha256: bytes,
    size: int,
    kind: str,
    content_type: str,
    display_name: str,
    storage_key: str,
) -> tuple[uuid.UUID, bool]:
    """The library entry for this content: (id, created). Same bytes twice are stored once."""
    created = await conn.fetchval(
        """INSERT INTO materials (id, citizen_id, sha256, size, kind, content_type, display_name,
               storage_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (citizen_id, sha256) DO NOTHING RETURNING id""",
        uuid.uuid4(),
        citizen_id,
        sha256,
        size,
        kind,
        content_type,
        display_name,
        storage_key,
    )
    if created is not None:
        return created, True
    existing = await conn.fetchval(
        "SELECT id FROM materials WHERE citizen_id = $1 AND sha256 = $2", citizen_id, sha256
    )
    return existing, False


_LIBRARY = """SELECT id, size, kind, content_type, display_name, created_at,
                     encode(sha256, 'hex') AS sha256
                FROM materials"""
_MATERIAL = """SELECT id, size, kind, content_type, display_name, storage_key, created_at,
                      encode(sha256, 'hex') AS sha256
                 FROM materials"""
# A library file within a mandate's items ($2): attached to one of the owner's declarations
# of one of them.
_WITHIN_ITEMS = """EXISTS (
        SELECT 1 FROM declaration_materials dm JOIN declarations d ON d.id = dm.declaration_id
         WHERE dm.material_id = materials.id AND d.citizen_id = materials.citizen_id
           AND d.item_code = ANY($2::text[]))"""


async def library(
    conn: Connection, citizen_id: uuid.UUID, *, items: list[str] | None = None
) -> list[LibraryRow]:
    """The citizen's library; with ``items``, only the files attached to their declarations
    of those items (what an agent limited to them may reuse)."""
    if items is None:
        rows = await conn.fetch(
            f"{_LIBRARY} WHERE citizen_id = $1 ORDER BY created_at DESC", citizen_id
        )
    else:
        rows = await conn.fetch(
            f"{_LIBRARY} WHERE citizen_id = $1 AND {_WITHIN_ITEMS} ORDER BY created_at DESC",
            citizen_id,
            items,
        )
    return many(LibraryRow, rows)


async def material(
    conn: Connection,
    material_id: uuid.UUID,
    citizen_id: uuid.UUID,
    *,
    items: list[str] | None = None,
) -> MaterialRow | None:
    """One library file of the citizen's; with ``items``, only if attached to one of their
    declarations of those items."""
    if items is None:
        row = await conn.fetchrow(
            f"{_MATERIAL} WHERE citizen_id = $1 AND id = $2", citizen_id, material_id
        )
    else:
        row = await conn.fetchrow(
            f"{_MATERIAL} WHERE citizen_id = $1 AND {_WITHIN_ITEMS} AND id = $3",
            citizen_id,
            items,
            material_id,
        )
    return one(MaterialRow, row)


async def attach(
    conn: Connection,
    declaration_id: uuid.UUID,
    material_code: str,
    *,
    material_id: uuid.UUID | None = None,
    licence_number: str | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO declaration_materials (declaration_id, material_code, material_id,
               licence_number) VALUES ($1, $2, $3, $4)
           ON CONFLICT (declaration_id, material_code) DO UPDATE SET
               material_id = EXCLUDED.material_id, licence_number = EXCLUDED.licence_number,
               needs_replacement = false, problem = NULL, updated_at = now()""",
        declaration_id,
        material_code,
        material_id,
        licence_number,
    )


async def detach(conn: Connection, declaration_id: uuid.UUID, material_code: str) -> bool:
    return (
        await conn.execute(
            "DELETE FROM declaration_materials WHERE declaration_id = $1 AND material_code = $2",
            declaration_id,
            material_code,
        )
    ) != "DELETE 0"


async def attached(conn: Connection, declaration_id: uuid.UUID) -> list[AttachedRow]:
    return many(
        AttachedRow,
        await conn.fetch(
            """SELECT dm.material_code, dm.material_id, dm.licence_number, dm.needs_replacement,
                      dm.problem, m.display_name, m.size, m.kind, m.content_type,
                      encode(m.sha256, 'hex') AS sha256
                 FROM declaration_materials dm LEFT JOIN materials m ON m.id = dm.material_id
                WHERE dm.declaration_id = $1 ORDER BY dm.material_code""",
            declaration_id,
        ),
    )


async def flag_for_replacement(
    conn: Connection, declaration_id: uuid.UUID, problems: dict[str, str]
) -> None:
    # A problem with a material not attached at all stays in the notice: the citizen adds it.
    if not problems:
        return
    await conn.execute(
        """UPDATE declaration_materials dm SET needs_replacement = true, problem = p.problem,
               updated_at = now()
             FROM unnest($2::text[], $3::text[]) AS p(code, problem)
            WHERE dm.declaration_id = $1 AND dm.material_code = p.code""",
        declaration_id,
        list(problems),
        list(problems.values()),
    )


# --- the platform's status events ---------------------------------------------------------------


async def store_event(
    conn: Connection, event_id: str, case_number: str, sequence: int, body: dict[str, Any]
) -> bool:
    return bool(
        await conn.fetchval(
            """INSERT INTO platform_events (event_id, case_number, sequence, body)
               VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING RETURNING true""",
            event_id,
            case_number,
            sequence,
            body,
        )
    )


async def unprocessed_events(conn: Connection, case_number: str) -> list[StoredEventRow]:
    return many(
        StoredEventRow,
        await conn.fetch(
            """SELECT event_id, sequence, body FROM platform_events
                WHERE case_number = $1 AND processed_at IS NULL ORDER BY sequence, received_at""",
            case_number,
        ),
    )


async def mark_event(conn: Connection, event_id: str, outcome: str) -> None:
    await conn.execute(
        "UPDATE platform_events SET processed_at = now(), outcome = $2 WHERE event_id = $1",
        event_id,
        outcome,
    )


async def open_with_deadlines(conn: Connection) -> list[OpenCaseRow]:
    return many(
        OpenCaseRow,
        await conn.fetch(
            """SELECT id, citizen_id, item_name, state, pre_review_due, promised_due, supervision
                 FROM declarations WHERE state IN ('submitted', 'accepted', 'processing')
                 FOR UPDATE SKIP LOCKED"""
        ),
    )


async def open_deadline_bases(conn: Connection) -> list[DeadlineBasisRow]:
    """Open cases with their deadlines and what each counts from, locked for the recompute."""
    return many(
        DeadlineBasisRow,
        await conn.fetch(
            """SELECT id, citizen_id, item_name, state, pre_review_due, pre_review_due_provisional,
                      pre_review_from, promised_due, promised_due_provisional, promised_from,
                      promised_days
                 FROM declarations WHERE state IN ('submitted', 'accepted', 'processing')
                ORDER BY id FOR UPDATE"""
        ),
    )


# --- one person, one account (api.identity joins a person's accounts) ----------------------------


def _rows(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """Declarations and library entries of ``source`` become ``target``'s.

    A file both accounts hold (same SHA-256) is kept once: ``source``'s declarations point to
    ``target``'s entry and ``source``'s entry goes (its stored object is left unreferenced). A
    submit key both accounts used keeps its meaning in each declaration: ``source``'s gets a
    suffix, so a replay with it can never land on the other one."""
    declarations = await conn.execute(
        """UPDATE declarations d SET citizen_id = $2,
               submit_key = CASE WHEN EXISTS (
                   SELECT 1 FROM declarations o WHERE o.citizen_id = $2 AND o.submit_key = d.submit_key)
                   THEN d.submit_key || ':merged:' || $1::text ELSE d.submit_key END
           WHERE d.citizen_id = $1""",
        source,
        target,
    )
    await conn.execute(
        """UPDATE declaration_materials dm SET material_id = keep.id, updated_at = now()
             FROM materials dup JOIN materials keep ON keep.citizen_id = $2 AND keep.sha256 = dup.sha256
            WHERE dup.citizen_id = $1 AND dm.material_id = dup.id""",
        source,
        target,
    )
    duplicates = await conn.execute(
        """DELETE FROM materials dup USING materials keep
            WHERE dup.citizen_id = $1 AND keep.citizen_id = $2 AND keep.sha256 = dup.sha256""",
        source,
        target,
    )
    materials = await conn.execute(
        "UPDATE materials SET citizen_id = $2 WHERE citizen_id = $1", source, target
    )
    # Who acted on a timeline step for its owner (docs/acting-as.md) follows the person too.
    acted = await conn.execute(
        "UPDATE declaration_events SET acted_by = $2 WHERE acted_by = $1", source, target
    )
    return {
        "declarations": _rows(declarations),
        "materials": _rows(materials) + _rows(duplicates),
        "declaration_events": _rows(acted),
    }


# --- for push ------------------------------------------------------------------------------------


async def applicant_ids(
    conn: Connection, item_code: str, *, after: uuid.UUID, limit: int
) -> list[uuid.UUID]:
    """Citizens who applied for ``item_code``, a page in id order (declarations_citizen_item)."""
    rows = await conn.fetch(
        """SELECT DISTINCT citizen_id FROM declarations
            WHERE item_code = $1 AND citizen_id > $2 ORDER BY citizen_id LIMIT $3""",
        item_code,
        after,
        limit,
    )
    return [r["citizen_id"] for r in rows]


# --- for reviews ---


class RatedDeclarationRow(_Row, frozen=True, kw_only=True):
    id: uuid.UUID
    citizen_id: uuid.UUID
    state: str
    item_code: str
    item_name: str
    case_number: str | None


async def rated_declaration(
    conn: Connection, declaration_id: uuid.UUID
) -> RatedDeclarationRow | None:
    row = await conn.fetchrow(
        """SELECT id, citizen_id, state, item_code, item_name, case_number
             FROM declarations WHERE id = $1""",
        declaration_id,
    )
    return one(RatedDeclarationRow, row)


# --- for figures (api.figures keeps the rollup; these read the facts it is made of) ---------
#
# The figures service creates the temporary tables of its transaction (``figure_batch``,
# ``figure_facts``: api.figures.repository.open_batch) and declarations fills them from its own
# tables, set-based, so nothing of a batch travels through Python.


# The moves a batch reads, one row each with its declaration's slice: the timeline entries of
# transactions from ``$1`` and below ``$2`` (xid8 bounds, see migration 0028). A move is an
# entry whose state changed; a same-state entry (a confirmation, tolerated materials
# delivered) is none. ``nth_supplement``: which request to supplement of its case it is.
_FACTS = """
    SELECT m.*, d.item_code, d.department_code, d.region_code, d.channel, d.hall_visit,
           d.promised_due,
           (d.submitted_at AT TIME ZONE 'Asia/Shanghai')::date AS submitted_day,
           (d.accepted_at AT TIME ZONE 'Asia/Shanghai')::date AS accepted_day,
           CASE WHEN m.to_state = 'needs_supplement' THEN (
               SELECT count(*) FROM declaration_events p
                WHERE p.declaration_id = m.declaration_id AND p.id <= m.id
                  AND p.to_state = 'needs_supplement' AND p.from_state <> 'needs_supplement')
           END AS nth_supplement
      FROM (SELECT e.id, e.declaration_id, e.from_state, e.to_state, e.details,
                   (e.at AT TIME ZONE 'Asia/Shanghai')::date AS day
              FROM declaration_events e
             WHERE e.txid >= $1::text::xid8 AND e.txid < $2::text::xid8
               AND e.from_state <> e.to_state
               AND e.to_state IN ('submitted', 'accepted', 'completed', 'refused',
                                  'not_accepted', 'needs_supplement')) AS m
      JOIN declarations d ON d.id = m.declaration_id"""
_SLICE = "day, item_code, department_code, region_code, channel"
# A rollup batch's statements run in a job, not a request: they get minutes rather than the
# pool's command timeout (a batch of a million entries on a loaded database takes tens of s).
BATCH_STATEMENT_SECONDS = 600.0


def _working_days(since: str, until: str) -> str:
    """Working days in (since, until], from the index ``$4`` starting at ``$3`` (the calendar's
    own count: see ``DeclarationsService._working_index``), capped at ``$5``."""
    index = "($4::integer[])[least(cardinality($4::integer[]), greatest(1, {} - $3::date + 1))]"
    return f"least($5::integer, greatest(0, {index.format(until)} - {index.format(since)}))"


async def stage_figure_moves(
    conn: Connection,
    events_from: int,
    events_below: int,
    first_day: date,
    working: list[int],
    max_days: int,
) -> None:
    """One row per slice-day into ``figure_batch``: the moves of the entries written by
    transactions in [events_from, events_below), and three histograms (index = working days):
    application → acceptance and acceptance → completion of the acceptances and completions
    among them, and the promised limit (acceptance → deadline) of those completions. One pass,
    one ``GROUP BY``: counts and histograms (``histogram_count``, migration 0035) together."""
    await conn.execute(
        f"""INSERT INTO figure_batch ({_SLICE}, applications, accepted, tolerated, completed,
                   completed_online, completed_in_time, refused, not_accepted,
                   supplement_requests, supplemented, repeat_supplemented,
                   acceptance_days, completion_days, promised_days)
            SELECT {_SLICE},
                   count(*) FILTER (WHERE to_state = 'submitted' AND from_state = 'draft'),
                   count(*) FILTER (WHERE to_state = 'accepted'),
                   count(*) FILTER (WHERE to_state = 'accepted' AND details ? 'toleratedMissing'),
                   count(*) FILTER (WHERE to_state = 'completed'),
                   count(*) FILTER (WHERE to_state = 'completed' AND NOT hall_visit),
                   count(*) FILTER (WHERE to_state = 'completed' AND day <= promised_due),
                   count(*) FILTER (WHERE to_state = 'refused'),
                   count(*) FILTER (WHERE to_state = 'not_accepted'),
                   count(*) FILTER (WHERE to_state = 'needs_supplement'),
                   count(*) FILTER (WHERE nth_supplement = 1),
                   count(*) FILTER (WHERE nth_supplement = 2),
                   coalesce(histogram_count({_working_days("submitted_day", "day")})
                                FILTER (WHERE to_state = 'accepted'
                                          AND submitted_day IS NOT NULL), '{{}}'),
                   coalesce(histogram_count({_working_days("accepted_day", "day")})
                                FILTER (WHERE to_state = 'completed'
                                          AND accepted_day IS NOT NULL), '{{}}'),
                   coalesce(histogram_count({_working_days("accepted_day", "promised_due")})
                                FILTER (WHERE to_state = 'completed' AND accepted_day IS NOT NULL
                                          AND promised_due IS NOT NULL), '{{}}')
              FROM ({_FACTS}) AS facts
             GROUP BY {_SLICE}""",
        str(events_from),
        str(events_below),
        first_day,
        working,
        max_days,
        timeout=BATCH_STATEMENT_SECONDS,
    )


async def event_horizon(conn: Connection) -> int:
    """Every transaction below this id has ended: its timeline entries are all visible now,
    and no entry below it can appear later."""
    horizon = await conn.fetchval("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")
    return int(horizon)


async def events_upper_bound(conn: Connection, events_from: int, horizon: int, limit: int) -> int:
    """Where a batch of about ``limit`` timeline entries from ``events_from`` ends: below the
    horizon, after the transaction of the ``limit``-th entry (a transaction is never split).
    Ordered by the xid8 column itself (an output column named ``txid`` holding its text would
    be sorted as text: 1000 before 999, and every remaining entry sorted for each batch)."""
    last = await conn.fetchval(
        """SELECT e.txid::text AS last FROM declaration_events e
            WHERE e.txid >= $1::text::xid8 AND e.txid < $2::text::xid8
            ORDER BY e.txid OFFSET $3 LIMIT 1""",
        str(events_from),
        str(horizon),
        limit,
    )
    return horizon if last is None else max(int(last), events_from + 1)


async def stage_figure_dues(conn: Connection, after: date, through: date) -> None:
    """Into ``figure_batch``: cases accepted with a promised deadline in (after, through], by
    deadline day, and how many were not finished by it (still open, or finished later)."""
    await conn.execute(
        f"""INSERT INTO figure_batch ({_SLICE}, due, overdue)
            SELECT promised_due, item_code, department_code, region_code, channel,
                   count(*),
                   count(*) FILTER (WHERE finished_at IS NULL
                       OR (finished_at AT TIME ZONE 'Asia/Shanghai')::date > promised_due)
              FROM declarations
             WHERE promised_due > $1 AND promised_due <= $2
               AND state IN ('accepted', 'processing', 'completed', 'refused')
             GROUP BY 1, 2, 3, 4, 5""",
        after,
        through,
    )


async def earliest_due(conn: Connection) -> date | None:
    due: date | None = await conn.fetchval("SELECT min(promised_due) FROM declarations")
    return due


async def stage_figure_slices(conn: Connection) -> None:
    """Each row of ``figure_facts`` (another domain's facts of a declaration) gets its
    declaration's slice."""
    await conn.execute(
        """UPDATE figure_facts f
              SET item_code = d.item_code, department_code = d.department_code,
                  region_code = d.region_code, channel = d.channel
             FROM declarations d
            WHERE d.id = f.declaration_id"""
    )


# --- supervision: the list of open cases and who asks twice (migration 0029) -----------------


# The deadline supervision watches: pre-review while submitted, the promised one after.
_WATCHED_DUE = "CASE WHEN d.state = 'submitted' THEN d.pre_review_due ELSE d.promised_due END"


async def supervised(
    conn: Connection,
    departments: Sequence[str] | None,
    flags: Sequence[str] | None,
    limit: int,
    offset: int,
) -> list[SupervisedRow]:
    """Open cases by watched deadline (soonest first, none last), with the hourly job's flag and
    how many materials their department asked for twice."""
    return many(
        SupervisedRow,
        await conn.fetch(
            f"""SELECT count(*) OVER () AS total, d.id, d.citizen_id, d.case_number, d.item_code,
                       d.item_name, d.department_code, d.state, {_WATCHED_DUE} AS due,
                       CASE WHEN d.state = 'submitted' THEN d.pre_review_due_provisional
                            ELSE d.promised_due_provisional END AS due_provisional,
                       d.supervision, d.submitted_at,
                       (SELECT count(*) FROM supplement_repeats s
                         WHERE s.declaration_id = d.id)::integer AS asked_twice
                  FROM declarations d
                 WHERE d.state IN ('submitted', 'accepted', 'processing')
                   AND ($1::text[] IS NULL OR d.department_code = ANY($1::text[]))
                   AND ($2::text[] IS NULL OR d.supervision = ANY($2::text[]))
                 ORDER BY {_WATCHED_DUE} NULLS LAST, d.submitted_at, d.id
                 LIMIT $3 OFFSET $4""",
            None if departments is None else list(departments),
            None if flags is None else list(flags),
            limit,
            offset,
        ),
    )


async def asked_before(conn: Connection, declaration_id: uuid.UUID) -> set[str]:
    """Material codes this case's earlier supplement requests asked for (their timeline
    entries name them)."""
    rows = await conn.fetch(
        """SELECT DISTINCT jsonb_array_elements_text(details -> 'materials') AS code
             FROM declaration_events
            WHERE declaration_id = $1 AND to_state = 'needs_supplement'
              AND from_state <> 'needs_supplement' AND details ? 'materials'""",
        declaration_id,
    )
    return {r["code"] for r in rows}


async def record_repeats(
    conn: Connection,
    declaration_id: uuid.UUID,
    sequence: int,
    day: date,
    repeats: dict[str, str],
) -> None:
    """One row per material asked twice by this request (a replayed event adds nothing)."""
    if not repeats:
        return
    await conn.execute(
        """INSERT INTO supplement_repeats (declaration_id, sequence, material_code, source,
                                          department_code, day)
           SELECT $1, $2, r.code, r.source, d.department_code, $3
             FROM unnest($4::text[], $5::text[]) AS r (code, source)
             JOIN declarations d ON d.id = $1
           ON CONFLICT DO NOTHING""",
        declaration_id,
        sequence,
        day,
        list(repeats),
        list(repeats.values()),
    )


async def asked_twice_by_department(
    conn: Connection, first: date, last: date
) -> list[DepartmentCountRow]:
    return many(
        DepartmentCountRow,
        await conn.fetch(
            """SELECT department_code, count(*)::integer AS count FROM supplement_repeats
                WHERE day BETWEEN $1 AND $2 GROUP BY 1""",
            first,
            last,
        ),
    )
