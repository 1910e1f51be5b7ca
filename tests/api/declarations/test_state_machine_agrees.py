"""The declaration state machine is written twice: in Python (``api.declarations.states``) and
as the database trigger that refuses any other state change (migrations 0007 and 0019). This
asks the migrated database itself, by trying every (from, to) pair on a row, and requires the
two to allow exactly the same moves and to know the same states."""

from __future__ import annotations

import re
import uuid
from itertools import product
from typing import get_args

import asyncpg

from api.declarations.states import TRANSITIONS, State, can_move


async def _insert_declaration(
    db: asyncpg.Connection, citizen_id: uuid.UUID, state: str
) -> uuid.UUID:
    declaration_id = uuid.uuid4()
    # submitted_at: a declaration past draft has been submitted (a CHECK of its own).
    await db.execute(
        """INSERT INTO declarations (id, citizen_id, item_code, item_name, state, submitted_at)
           VALUES ($1, $2, 'TEST-ITEM', '测试事项', $3, now())""",
        declaration_id,
        citizen_id,
        state,
    )
    return declaration_id


async def _moves_the_database_allows(
    db: asyncpg.Connection, states: list[str]
) -> set[tuple[str, str]]:
    allowed: set[tuple[str, str]] = set()
    # Nothing is kept: the database is left as the migrations made it.
    outer = db.transaction()
    await outer.start()
    try:
        citizen_id = uuid.uuid4()
        await db.execute("INSERT INTO citizens (id) VALUES ($1)", citizen_id)
        await db.execute(
            """INSERT INTO catalog_items (code, name, item_type, department_code,
                   department_name, region_code, region_name, case_type, online_level, charged,
                   issues_licence, is_bundle, status, platform_version, platform_updated_at,
                   guide, search_text, name_initials)
               VALUES ('TEST-ITEM', '测试事项', '行政许可', 'D', '测试部门', '620000', '西岭省',
                   'promised', 'full_online', false, false, false, 'active', 1, now(), '{}',
                   '测试事项', 'csx')"""
        )
        for source, target in product(states, states):
            declaration_id = await _insert_declaration(db, citizen_id, source)
            try:
                async with db.transaction():  # a savepoint: a refused move undoes only itself
                    await db.execute(
                        "UPDATE declarations SET state = $2 WHERE id = $1", declaration_id, target
                    )
            except asyncpg.CheckViolationError as refused:
                assert "cannot go from" in str(refused), refused
            else:
                allowed.add((source, target))
    finally:
        await outer.rollback()
    return allowed


async def _states_the_database_accepts(db: asyncpg.Connection) -> set[str]:
    definition = await db.fetchval(
        """SELECT pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = 'declarations'::regclass AND conname = 'declarations_state_check'"""
    )
    return set(re.findall(r"'([a-z_]+)'::text", definition))


async def test_the_trigger_allows_exactly_the_moves_of_the_python_table(
    db: asyncpg.Connection,
) -> None:
    python_states = set(get_args(State))
    assert set(TRANSITIONS) == python_states
    assert await _states_the_database_accepts(db) == python_states

    states = sorted(python_states)
    allowed = await _moves_the_database_allows(db, states)
    in_python = {
        (source, target) for source, target in product(states, states) if can_move(source, target)
    }
    assert allowed == in_python, (
        f"only in the database: {sorted(allowed - in_python)}; "
        f"only in Python: {sorted(in_python - allowed)}"
    )
    # Staying in a state is no move: both accept it for every state.
    assert {(s, s) for s in states} <= allowed
