"""One person, one account whatever the order of channels (WeChat, SMS, SSO login, SSO binding).

Each test signs the same person in through the channels in one order, leaves a draft with a
material in every account it gets, and ends with one account owning all of them: the others'
sessions dead, the merge in the audit log. The last test finds every citizen-keyed column in the
schema and checks that a merge leaves nothing behind in any of them.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from api.composition import Services
from core.logging import mask_personal_data
from core.settings import Settings
from tests.fixtures.declarations import PDF, RENT_WITHDRAWAL, Applicant, synced
from tests.fixtures.identity import Outside, bearer, make_staff, sms_login, sso, user, wechat_login
from tests.fixtures.settings import settings_env

MATERIAL = "CL00401001-03"


@pytest.fixture(autouse=True)
async def _catalogue(services: Services) -> None:
    await synced(services)  # drafts need the item


@dataclass
class Account:
    tokens: dict[str, Any]
    draft: str
    sha256: str

    @property
    def id(self) -> str:
        return str(self.tokens["citizen"]["id"])


def pdf(tag: str) -> bytes:
    return PDF + f"% {tag}\n".encode()


async def with_traces(
    client: httpx.AsyncClient, outside: Outside, tokens: dict[str, Any], content: bytes
) -> Account:
    """A draft with a material in this account's library."""
    applicant = Applicant(client, outside, tokens["accessToken"])
    draft = await applicant.create(RENT_WITHDRAWAL)
    uploaded = await applicant.upload(draft["id"], MATERIAL, "pdf", content=content)
    assert uploaded.status_code == 200, uploaded.text
    return Account(tokens, draft["id"], uploaded.json()["sha256"])


async def assert_one_person(
    client: httpx.AsyncClient,
    services: Services,
    tokens: dict[str, Any],
    owned: list[Account],
    absorbed: list[Account],
) -> None:
    headers = bearer(tokens["accessToken"])
    survivor = tokens["citizen"]["id"]
    me = await client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json()["id"] == survivor
    listed = (await client.get("/api/v1/declarations?pageSize=50", headers=headers)).json()
    assert {a.draft for a in owned} <= {d["id"] for d in listed["items"]}
    library = (await client.get("/api/v1/materials", headers=headers)).json()
    assert {a.sha256 for a in owned} <= {m["sha256"] for m in library}
    for account in owned:
        detail = await client.get(f"/api/v1/declarations/{account.draft}", headers=headers)
        assert detail.status_code == 200, detail.text
        slot = next(m for m in detail.json()["materials"] if m["code"] == MATERIAL)
        assert slot["file"] is not None and slot["file"]["sha256"] == account.sha256
    for account in absorbed:
        assert account.id != survivor
        stale = await client.get("/api/v1/me", headers=bearer(account.tokens["accessToken"]))
        assert stale.status_code == 401 and stale.json()["code"] == "TOKEN_REVOKED"
        refresh = await client.post(
            "/api/v1/auth/refresh", json={"refreshToken": account.tokens["refreshToken"]}
        )
        assert refresh.status_code == 401
        async with services.infra.pool.acquire() as conn:
            entries = await conn.fetch(
                """SELECT details FROM audit_log WHERE action = 'identity.accounts_merged'
                    AND target_id = $1""",
                mask_personal_data(account.id),
            )
        assert len(entries) == 1
        assert entries[0]["details"]["into"] == mask_personal_data(survivor)


async def test_wechat_then_sms_then_sso_binding(
    client: httpx.AsyncClient, outside: Outside, services: Services
) -> None:
    zhaolei = user("zhaolei")
    wechat = await with_traces(
        client, outside, await wechat_login(client, outside, "wx-zhaolei"), pdf("id card")
    )
    # The same file from the app: the library keeps it once after the merge.
    app = await with_traces(
        client, outside, await sms_login(client, outside, zhaolei.phone), pdf("id card")
    )
    assert app.id != wechat.id

    bound = await sso(client, outside, zhaolei, purpose="bind", token=wechat.tokens["accessToken"])
    assert bound.status_code == 200, bound.text
    tokens = bound.json()
    # Neither had the real name: the oldest account survives; the phone the platform vouches
    # for is the one the app signed in with.
    assert tokens["citizen"]["id"] == wechat.id
    await assert_one_person(client, services, tokens, [wechat, app], [app])
    assert (await sms_login(client, outside, zhaolei.phone))["citizen"]["id"] == wechat.id
    assert (await wechat_login(client, outside, "wx-zhaolei"))["citizen"]["id"] == wechat.id


async def test_sms_then_wechat_then_sso_binding(
    client: httpx.AsyncClient, outside: Outside, services: Services
) -> None:
    lisi = user("lisi")
    app = await with_traces(
        client, outside, await sms_login(client, outside, lisi.phone), pdf("lisi app")
    )
    wechat = await with_traces(
        client, outside, await wechat_login(client, outside, "wx-lisi"), pdf("lisi wechat")
    )

    bound = await sso(client, outside, lisi, purpose="bind", token=wechat.tokens["accessToken"])
    assert bound.status_code == 200, bound.text
    tokens = bound.json()
    # The app's account is older: the binding session's own account is the one absorbed.
    assert tokens["citizen"]["id"] == app.id
    assert tokens["citizen"]["realNameBound"] is True and tokens["citizen"]["wechatBound"] is True
    await assert_one_person(client, services, tokens, [app, wechat], [wechat])
    assert (await wechat_login(client, outside, "wx-lisi"))["citizen"]["id"] == app.id


async def test_sms_then_sso_login_then_wechat(
    client: httpx.AsyncClient, outside: Outside, services: Services
) -> None:
    wangfang = user("wangfang")
    app = await with_traces(
        client, outside, await sms_login(client, outside, wangfang.phone), pdf("wangfang app")
    )
    # Later the app signs in through the platform (signed out, e.g. a new install).
    login = await sso(client, outside, wangfang)
    assert login.status_code == 200, login.text
    assert login.json()["citizen"]["id"] == app.id  # not a second account
    assert login.json()["citizen"]["realNameBound"] is True

    wechat = await with_traces(
        client, outside, await wechat_login(client, outside, "wx-wangfang"), pdf("wangfang wx")
    )
    bound = await sso(client, outside, wangfang, purpose="bind", token=wechat.tokens["accessToken"])
    assert bound.status_code == 200, bound.text
    tokens = bound.json()
    assert tokens["citizen"]["id"] == app.id
    await assert_one_person(client, services, tokens, [app, wechat], [wechat])


async def test_sso_login_then_sms_then_sso_login_in_the_signed_in_app(
    client: httpx.AsyncClient, outside: Outside, services: Services
) -> None:
    chenjing = user("chenjing")
    first = await sso(client, outside, chenjing)
    assert first.status_code == 200, first.text
    platform = await with_traces(client, outside, first.json(), pdf("chenjing platform"))
    # The app signed in by SMS with a second phone the platform does not know.
    second_phone = await with_traces(
        client, outside, await sms_login(client, outside, "13700007777"), pdf("chenjing sms")
    )
    assert second_phone.id != platform.id

    # Signed in, the app runs the platform's login: that account is the person's too.
    login = await sso(client, outside, chenjing, token=second_phone.tokens["accessToken"])
    assert login.status_code == 200, login.text
    tokens = login.json()
    assert tokens["citizen"]["id"] == platform.id  # the real-named account survives
    await assert_one_person(client, services, tokens, [platform, second_phone], [second_phone])
    assert (await sms_login(client, outside, "13700007777"))["citizen"]["id"] == platform.id


async def test_sso_login_then_sms_then_wechat(
    client: httpx.AsyncClient, outside: Outside, services: Services
) -> None:
    zhangsan = user("zhangsan")
    login = await sso(client, outside, zhangsan)
    assert login.status_code == 200, login.text
    platform = await with_traces(client, outside, login.json(), pdf("zhangsan platform"))
    by_sms = await sms_login(client, outside, zhangsan.phone)
    assert by_sms["citizen"]["id"] == platform.id  # the phone the platform vouched for
    app = await with_traces(client, outside, by_sms, pdf("zhangsan app"))

    wechat = await with_traces(
        client, outside, await wechat_login(client, outside, "wx-zhangsan"), pdf("zhangsan wx")
    )
    bound = await sso(client, outside, zhangsan, purpose="bind", token=wechat.tokens["accessToken"])
    assert bound.status_code == 200, bound.text
    tokens = bound.json()
    assert tokens["citizen"]["id"] == platform.id
    await assert_one_person(client, services, tokens, [platform, app, wechat], [wechat])


async def test_sso_login_then_wechat_then_sms_each_bound(
    client: httpx.AsyncClient, outside: Outside, services: Services
) -> None:
    zhangsan = user("zhangsan")
    login = await sso(client, outside, zhangsan)
    platform = await with_traces(client, outside, login.json(), pdf("platform"))
    wechat = await with_traces(
        client, outside, await wechat_login(client, outside, "wx-zhangsan"), pdf("wechat")
    )
    second_phone = await with_traces(
        client, outside, await sms_login(client, outside, "13700008888"), pdf("second phone")
    )

    # The app's SMS account binds the real name first, then the mini-program does.
    from_app = await sso(
        client, outside, zhangsan, purpose="bind", token=second_phone.tokens["accessToken"]
    )
    assert from_app.status_code == 200, from_app.text
    assert from_app.json()["citizen"]["id"] == platform.id
    from_wechat = await sso(
        client, outside, zhangsan, purpose="bind", token=wechat.tokens["accessToken"]
    )
    assert from_wechat.status_code == 200, from_wechat.text
    tokens = from_wechat.json()
    assert tokens["citizen"]["id"] == platform.id
    await assert_one_person(
        client, services, tokens, [platform, wechat, second_phone], [wechat, second_phone]
    )


async def test_wechat_with_its_phone_then_sso_login_then_sms(
    client: httpx.AsyncClient, outside: Outside, services: Services
) -> None:
    zhaolei, liuyang = user("zhaolei"), user("liuyang")
    signed_in = await wechat_login(client, outside, "wx-zhaolei")
    code = await outside.wechat_phone_code("wx-zhaolei", zhaolei.phone)
    phone = await client.post(
        "/api/v1/auth/wechat/phone", json={"code": code}, headers=bearer(signed_in["accessToken"])
    )
    assert phone.status_code == 200, phone.text
    wechat = await with_traces(client, outside, signed_in, pdf("zhaolei wechat"))
    # Someone else's mini-program account holds liuyang's phone number; liuyang's platform
    # account is level 1 (the phone is not verified there), so that proves nothing.
    other = await wechat_login(client, outside, "wx-someone")
    code = await outside.wechat_phone_code("wx-someone", liuyang.phone)
    await client.post(
        "/api/v1/auth/wechat/phone", json={"code": code}, headers=bearer(other["accessToken"])
    )

    login = await sso(client, outside, zhaolei)  # the app, signed out
    assert login.status_code == 200, login.text
    assert login.json()["citizen"]["id"] == wechat.id
    tokens = login.json()
    by_sms = await sms_login(client, outside, zhaolei.phone)
    assert by_sms["citizen"]["id"] == wechat.id
    await assert_one_person(client, services, tokens, [wechat], [])
    unverified = await sso(client, outside, liuyang)
    assert unverified.json()["citizen"]["id"] != other["citizen"]["id"]


async def test_an_account_of_another_person_is_never_joined(
    client: httpx.AsyncClient, outside: Outside, services: Services
) -> None:
    lisi, wangfang = user("lisi"), user("wangfang")
    app = await with_traces(
        client, outside, await sms_login(client, outside, lisi.phone), pdf("lisi")
    )
    first = await sso(client, outside, lisi, token=app.tokens["accessToken"])
    assert first.json()["citizen"]["id"] == app.id
    signed_in = first.json()["accessToken"]
    # The same session now authenticates as somebody else at the platform.
    other = await sso(client, outside, wangfang, purpose="bind", token=signed_in)
    assert other.status_code == 409 and other.json()["code"] == "REAL_NAME_CONFLICT"
    me = await client.get("/api/v1/me/real-name", headers=bearer(signed_in))
    assert me.status_code == 200 and me.json()["idNumber"].startswith(lisi.id_number[:4])
    assert me.json()["idNumber"].endswith(lisi.id_number[-4:])


# --- every citizen-keyed row moves ----------------------------------------------------------------

# Every table with a column that holds a citizen's id, and what the seed below puts there. A new
# table keyed by citizen fails the test until its domain moves its rows (absorb_citizen) and
# the seed covers it.
SEEDED_TABLES = {
    "citizen_wechat", "token_families", "inbox_messages", "push_preferences", "push_devices",
    "citizen_tags", "declarations", "materials", "citizen_licences", "licence_displays",
    "licence_verifications", "licence_consents", "licence_uses", "fee_notices",
    "payment_orders", "reviews", "review_tickets", "idempotency_keys", "appointments",
    "queue_tickets", "hotline_tickets", "citizen_addresses", "result_deliveries",
    "bundles", "mandates",
    "declaration_events",
    "proxy_log", "assist_requests",
}  # fmt: skip

CITIZEN_COLUMNS = """
    SELECT c.table_name::text AS table_name, c.column_name::text AS column_name
      FROM information_schema.columns c
      JOIN information_schema.tables t
        ON t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
       AND c.column_name = 'citizen_id'
    UNION
    SELECT con.conrelid::regclass::text, a.attname::text
      FROM pg_constraint con
      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey)
     WHERE con.contype = 'f' AND con.confrelid = 'citizens'::regclass
       AND NOT (con.conrelid = 'citizens'::regclass AND a.attname = 'merged_into')"""


async def _seed(
    conn: asyncpg.Connection, mine: uuid.UUID, kept: uuid.UUID, staff: uuid.UUID
) -> None:
    """Rows of every kind for ``mine``, some clashing with what ``kept`` already has."""
    both = (mine, kept)
    await conn.execute(
        """INSERT INTO citizen_wechat (appid, openid, citizen_id, session_key_enc)
           VALUES ('wx-other-app', 'openid-seed', $1, '\\x00')""",
        mine,
    )
    messages = {}
    for who in both:  # the same notice in both inboxes, read only in the absorbed one
        messages[who] = uuid.uuid4()
        await conn.execute(
            """INSERT INTO inbox_messages (id, citizen_id, event_type, title, body, dedupe_key,
                   read_at) VALUES ($1, $2, 'notice', 't', 'b', 'notice:seed', $3)""",
            messages[who], who, None if who == kept else datetime(2026, 1, 1, tzinfo=UTC),
        )  # fmt: skip
    await conn.execute(
        """INSERT INTO push_deliveries (message_id, channel, status) VALUES
           ($1, 'sms', 'delivered'), ($1, 'wechat', 'failed'), ($2, 'wechat', 'sent')""",
        messages[mine], messages[kept],
    )  # fmt: skip
    await conn.execute(
        """INSERT INTO inbox_messages (id, citizen_id, event_type, title, body, dedupe_key)
           VALUES ($1, $2, 'declaration_submitted', 't', 'b', 'only-mine')""",
        uuid.uuid4(), mine,
    )  # fmt: skip
    await conn.execute(
        """INSERT INTO push_preferences (citizen_id, sms, updated_at) VALUES
           ($1, false, '2026-03-01T00:00:00Z'), ($2, true, '2026-01-01T00:00:00Z')""",
        mine, kept,
    )  # fmt: skip
    await conn.execute(
        "INSERT INTO push_devices (registration_id, citizen_id, platform) VALUES ('reg-1', $1, 'ios')",
        mine,
    )
    for who in both:
        await conn.execute(
            "INSERT INTO citizen_tags (citizen_id, tag, tagged_by) VALUES ($1, '高龄老人', $2)",
            who, staff,
        )  # fmt: skip
    await conn.execute(
        "INSERT INTO citizen_tags (citizen_id, tag, tagged_by) VALUES ($1, '退役军人', $2)",
        mine, staff,
    )  # fmt: skip

    declarations, materials = {}, {}
    shared = hashlib.sha256(b"same bytes").digest()
    for who in both:
        declarations[who] = uuid.uuid4()
        await conn.execute(
            """INSERT INTO declarations (id, citizen_id, item_code, item_name, submit_key)
               VALUES ($1, $2, $3, '提取', 'same-key')""",
            declarations[who], who, RENT_WITHDRAWAL,
        )  # fmt: skip
        materials[who] = uuid.uuid4()
        await conn.execute(
            """INSERT INTO materials (id, citizen_id, sha256, size, kind, content_type,
                   display_name, storage_key) VALUES ($1, $2, $3, 10, 'pdf', 'application/pdf',
                   'a.pdf', $4)""",
            materials[who], who, shared, f"materials/{who}/x",
        )  # fmt: skip
    await conn.execute(
        """INSERT INTO materials (id, citizen_id, sha256, size, kind, content_type, display_name,
               storage_key) VALUES ($1, $2, $3, 10, 'pdf', 'application/pdf', 'b.pdf', 'k')""",
        uuid.uuid4(), mine, hashlib.sha256(b"only mine").digest(),
    )  # fmt: skip
    await conn.execute(
        """INSERT INTO declaration_materials (declaration_id, material_code, material_id)
           VALUES ($1, $2, $3)""",
        declarations[mine], MATERIAL, materials[mine],
    )  # fmt: skip

    # Acting for others (docs/acting-as.md): a company mine acts for, a person who authorised
    # mine, a grant mine made, and a timeline step mine took for a company.
    company, child = uuid.uuid4(), uuid.uuid4()
    await conn.execute(
        """INSERT INTO citizens (id, kind, uscc_enc, uscc_hash, legal_name)
           VALUES ($1, 'legal', '\\x01', '\\x02', '公司')""",
        company,
    )
    await conn.execute("INSERT INTO citizens (id) VALUES ($1)", child)
    family = uuid.uuid4()
    await conn.execute(
        """INSERT INTO mandates (id, principal_id, agent_id, role, source, granted_by) VALUES
           ($1, $3, $4, 'agent', 'platform', NULL), ($2, $4, $5, 'family', 'citizen', $4)""",
        uuid.uuid4(), family, company, mine, child,
    )  # fmt: skip
    # 委托代办's consent log (mine the principal, and mine an agent elsewhere) and a hall
    # worker's request to assist mine.
    await conn.execute(
        """INSERT INTO proxy_log (id, mandate_id, principal_id, agent_id, event) VALUES
           ($1, $3, $4, $5, 'granted'), ($2, $3, $5, $4, 'acted')""",
        uuid.uuid4(), uuid.uuid4(), family, mine, child,
    )  # fmt: skip
    await conn.execute(
        """INSERT INTO assist_requests (id, staff_id, citizen_id, items, expires_at)
           VALUES ($1, $2, $3, ARRAY['GG-01101-001'], now())""",
        uuid.uuid4(), staff, mine,
    )  # fmt: skip
    await conn.execute(
        """INSERT INTO declaration_events (declaration_id, to_state, actor, acted_by)
           VALUES ($1, 'draft', 'citizen', $2)""",
        declarations[kept], mine,
    )  # fmt: skip

    licence = uuid.uuid4()
    await conn.execute(
        """INSERT INTO citizen_licences (id, licence_number, citizen_id, type_code, name,
               issued_at) VALUES ($1, 'SEED-LICENCE-1', $2, 'SFZ', '身份证', now())""",
        licence, mine,
    )  # fmt: skip
    display = uuid.uuid4()
    await conn.execute(
        """INSERT INTO licence_displays (id, licence_id, citizen_id, expires_at)
           VALUES ($1, $2, $3, now())""",
        display, licence, mine,
    )  # fmt: skip
    await conn.execute(
        """INSERT INTO licence_verifications (id, display_id, licence_id, citizen_id, outcome)
           VALUES ($1, $2, $3, $4, 'valid')""",
        uuid.uuid4(), display, licence, mine,
    )  # fmt: skip
    consent = uuid.uuid4()
    await conn.execute(
        """INSERT INTO licence_consents (id, citizen_id, licence_id, grantee_kind, grantee_id,
               grantee_name, purpose, pairwise_sub)
           VALUES ($1, $2, $3, 'department_app', 'dept-app', '公积金', '提取', 'old-subject')""",
        consent, mine, licence,
    )  # fmt: skip
    await conn.execute(
        """INSERT INTO licence_uses (id, consent_id, citizen_id, licence_id, purpose)
           VALUES ($1, $2, $3, $4, '提取')""",
        uuid.uuid4(), consent, mine, licence,
    )  # fmt: skip

    for who in both:
        notice = uuid.uuid4()
        await conn.execute(
            """INSERT INTO fee_notices (id, notice_number, citizen_id, case_number, payment_code,
                   item_name, payee, amount_fen, issued_at, expires_at)
               VALUES ($1, $2, $3, 'C-1', 'P-1', '提取', '公积金中心', 100, now(), now())""",
            notice, f"N-{who}", who,
        )  # fmt: skip
        await conn.execute(
            """INSERT INTO payment_orders (id, notice_id, citizen_id, out_trade_no, channel,
                   appid, mchid, amount_fen, description, expires_at, idempotency_key,
                   request_hash)
               VALUES ($1, $2, $3, $4, 'app', 'wxapp', '1900000001', 100, '提取', now(),
                   'same-key', '\\x00')""",
            uuid.uuid4(), notice, who, f"HH{who.hex[:20]}",
        )  # fmt: skip
    for who, key in ((mine, "key-mine"), (mine, "key-both"), (kept, "key-both")):
        await conn.execute(
            """INSERT INTO idempotency_keys (citizen_id, route, key, request_hash)
               VALUES ($1, 'declarations.submit', $2, $3)""",
            who, key, hashlib.sha256(key.encode()).digest(),
        )  # fmt: skip
    review = uuid.uuid4()
    await conn.execute(
        """INSERT INTO reviews (id, declaration_id, citizen_id, item_code, item_name,
               department_code, department_name, channel, kind, level, rated_at)
           VALUES ($1, $2, $3, $4, '提取', 'D1', '公积金中心', 'app', 'initial', 1, now())""",
        review, declarations[mine], mine, RENT_WITHDRAWAL,
    )  # fmt: skip
    await conn.execute(
        """INSERT INTO review_tickets (id, review_id, declaration_id, citizen_id)
           VALUES ($1, $2, $3, $4)""",
        uuid.uuid4(), review, declarations[mine], mine,
    )  # fmt: skip
    await conn.execute(
        """INSERT INTO queue_tickets (id, citizen_id, appointment_id, hall_code, hall_name,
               item_code, item_name, slot_start, slot_end, arrival_method, taken_at)
           VALUES ($1, $2, $3, 'H1', '金城市政务服务中心', $4, '提取', now(), now(), 'qr', now())""",
        uuid.uuid4(), mine, uuid.uuid4(), RENT_WITHDRAWAL,
    )  # fmt: skip
    # Both hold the same half hour: the kept account's booking stays, the other's place is freed.
    await conn.execute(
        """INSERT INTO halls (code, name, region_code, status, platform_version,
               platform_updated_at, data)
           VALUES ('H000000001', '政务服务中心', '620100', 'open', 1, now(), '{}')"""
    )  # fmt: skip
    await conn.execute(
        """INSERT INTO appointment_slots (hall_code, item_code, day, starts_at, capacity, booked)
           VALUES ('H000000001', $1, '2026-06-16', '09:00', 2, 2)""",
        RENT_WITHDRAWAL,
    )
    for citizen in (mine, kept):
        await conn.execute(
            """INSERT INTO appointments (id, citizen_id, hall_code, item_code, item_name, day,
                   starts_at, ends_at, booked_at)
               VALUES ($1, $2, 'H000000001', $3, '提取', '2026-06-16', '09:00', '09:30', now())""",
            uuid.uuid4(), citizen, RENT_WITHDRAWAL,
        )  # fmt: skip
    await conn.execute(
        """INSERT INTO hotline_tickets (id, citizen_id, kind, subject_type, title, content,
               reply_days, due_on)
           VALUES ($1, $2, 'consultation', 'none', '咨询', '如何办理', 1, '2026-12-04')""",
        uuid.uuid4(), mine,
    )  # fmt: skip
    for who in both:  # each with a default address: the kept account's stays the default
        await conn.execute(
            """INSERT INTO citizen_addresses (id, citizen_id, recipient_enc, phone_enc,
                   detail_enc, region_code, region_name, is_default)
               VALUES ($1, $2, '\\x00', '\\x00', '\\x00', '620102', '金城市 城关区', true)""",
            uuid.uuid4(), who,
        )  # fmt: skip
    await conn.execute(
        """INSERT INTO result_deliveries (declaration_id, citizen_id, item_code, item_name,
               method) VALUES ($1, $2, $3, '提取', 'pickup')""",
        declarations[mine], mine, RENT_WITHDRAWAL,
    )  # fmt: skip
    await conn.execute(
        """INSERT INTO bundles (id, citizen_id, bundle_code, bundle_name, plan)
           VALUES ($1, $2, 'GG-01401-001', '新生儿出生一件事', '{}')""",
        uuid.uuid4(), mine,
    )  # fmt: skip


async def test_a_merge_leaves_no_row_of_any_citizen_keyed_table_behind(
    client: httpx.AsyncClient, outside: Outside, services: Services
) -> None:
    zhangsan = user("zhangsan")
    kept_tokens = (await sso(client, outside, zhangsan)).json()
    mine_tokens = await sms_login(client, outside, "13700006666")
    kept, mine = uuid.UUID(kept_tokens["citizen"]["id"]), uuid.UUID(mine_tokens["citizen"]["id"])
    await make_staff(services, "op-tagger", "operator")
    async with services.infra.pool.acquire() as conn:
        columns = [(r["table_name"], r["column_name"]) for r in await conn.fetch(CITIZEN_COLUMNS)]
        assert {table for table, _ in columns} == SEEDED_TABLES, (
            "a table keyed by citizen is not moved by the merge: give its domain an "
            "absorb_citizen (wired in api.services) and seed it here"
        )
        staff = await conn.fetchval("SELECT id FROM staff WHERE username = 'op-tagger'")
        async with conn.transaction():
            await _seed(conn, mine, kept, staff)
        for table, column in columns:
            count = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE {column} = $1", mine)
            assert count > 0, f"the seed leaves {table}.{column} empty"

    bound = await sso(client, outside, zhangsan, purpose="bind", token=mine_tokens["accessToken"])
    assert bound.status_code == 200, bound.text
    assert bound.json()["citizen"]["id"] == str(kept)

    async with services.infra.pool.acquire() as conn:
        for table, column in columns:
            left = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE {column} = $1", mine)
            assert left == 0, f"{left} row(s) of {table}.{column} left on the absorbed account"
        tombstone = await conn.fetchrow(
            "SELECT merged_into, merged_at FROM citizens WHERE id = $1", mine
        )
        assert tombstone["merged_into"] == kept and tombstone["merged_at"] is not None
        # Clashes resolved: one copy of the notice, read, with both delivery logs' channels.
        notice = await conn.fetch(
            "SELECT id, read_at FROM inbox_messages WHERE citizen_id = $1 AND dedupe_key = $2",
            kept, "notice:seed",
        )  # fmt: skip
        assert len(notice) == 1 and notice[0]["read_at"] is not None
        channels = await conn.fetch(
            "SELECT channel, status FROM push_deliveries WHERE message_id = $1 ORDER BY channel",
            notice[0]["id"],
        )
        assert [(r["channel"], r["status"]) for r in channels] == [
            ("sms", "delivered"), ("wechat", "sent"),
        ]  # fmt: skip
        # The preference set last wins; a tag on both is kept once.
        assert (
            await conn.fetchval("SELECT sms FROM push_preferences WHERE citizen_id = $1", kept)
            is False
        )
        tags = await conn.fetch("SELECT tag FROM citizen_tags WHERE citizen_id = $1", kept)
        assert sorted(r["tag"] for r in tags) == ["退役军人", "高龄老人"]
        # One booking of the half hour both held; the other's place given back.
        booked = await conn.fetch(
            "SELECT status FROM appointments WHERE citizen_id = $1 ORDER BY status", kept
        )
        assert [r["status"] for r in booked] == ["booked", "cancelled"]
        assert await conn.fetchval("SELECT booked FROM appointment_slots") == 1
        # The same file once in the library; the absorbed account's declaration uses it.
        shared = await conn.fetch(
            "SELECT id FROM materials WHERE citizen_id = $1 AND sha256 = $2",
            kept, hashlib.sha256(b"same bytes").digest(),
        )  # fmt: skip
        assert len(shared) == 1
        used = await conn.fetchval(
            """SELECT dm.material_id FROM declaration_materials dm
                 JOIN declarations d ON d.id = dm.declaration_id
                WHERE d.citizen_id = $1 AND dm.material_code = $2""",
            kept, MATERIAL,
        )  # fmt: skip
        assert used == shared[0]["id"]
        # Keys both accounts used stay distinct.
        for table in ("declarations", "payment_orders"):
            key = "submit_key" if table == "declarations" else "idempotency_key"
            keys = await conn.fetch(f"SELECT {key} FROM {table} WHERE citizen_id = $1", kept)
            assert len({r[key] for r in keys}) == 2 and "same-key" in {r[key] for r in keys}
        # A department app sees the survivor's pairwise subject; the consent follows it.
        subject = services.identity.pii.lookup_hash(str(kept), field="pairwise:dept-app").hex()
        assert (
            await conn.fetchval(
                "SELECT pairwise_sub FROM licence_consents WHERE citizen_id = $1", kept
            )
            == subject
        )
        # The licence logs stay append-only otherwise.
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("UPDATE licence_uses SET purpose = 'x'")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("UPDATE licence_verifications SET citizen_id = $1", mine)
        entry = await conn.fetchrow(
            """SELECT actor_id, details FROM audit_log
                WHERE action = 'identity.accounts_merged' AND target_id = $1""",
            mask_personal_data(str(mine)),
        )
        assert entry["details"]["link"] == "session" and entry["details"]["via"] == "sso_bind"
        moved = entry["details"]["moved"]
        assert set(moved) == SEEDED_TABLES, moved


async def test_merges_made_before_every_domain_moved_its_rows_are_finished(
    client: httpx.AsyncClient, outside: Outside, services: Services, settings: Settings
) -> None:
    zhangsan = user("zhangsan")
    tokens = (await sso(client, outside, zhangsan)).json()
    wechat = await with_traces(
        client, outside, await wechat_login(client, outside, "wx-zhangsan"), pdf("left behind")
    )
    async with services.infra.pool.acquire() as conn, conn.transaction():
        # What a merge did before: the openid moved, the account became a tombstone.
        await conn.execute(
            "UPDATE citizen_wechat SET citizen_id = $2 WHERE citizen_id = $1",
            uuid.UUID(wechat.id), uuid.UUID(tokens["citizen"]["id"]),
        )  # fmt: skip
        await conn.execute(
            "UPDATE citizens SET merged_into = $2, merged_at = now() WHERE id = $1",
            uuid.UUID(wechat.id), uuid.UUID(tokens["citizen"]["id"]),
        )  # fmt: skip

    env = {**os.environ, **settings_env(settings)}
    for expected in (1, 0):  # the second run finds nothing left
        done = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "api.cli", "accounts", "finish-merges", env=env,
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await done.communicate()
        assert done.returncode == 0
        assert out.decode().strip().endswith(f": {expected}")

    await assert_one_person(client, services, tokens, [wechat], [])
    async with services.infra.pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM audit_log WHERE action = 'identity.accounts_merge_finished'"
            )
            == 1
        )
