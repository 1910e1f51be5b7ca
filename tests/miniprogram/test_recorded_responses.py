"""The backend's real answers, recorded for the mini-program's jest tests.

One journey drives the live API (a real port, the worker, the stand-ins) through everything the
mini-program calls: WeChat login and real-name binding, the catalogue, a draft with its form and
uploads, submission, each state of a declaration (a supplement notice included), the fee and its
order, the rating, the licence wallet and its logs, the inbox. Every answer is normalized (ids,
tokens, numbers the platform makes up, times and dates become stable placeholders of the same
type and format) and compared, by shape (every member's path and JSON type), with the recording
checked in under miniprogram/tests/fixtures/recorded/. The jest tests replay those recordings
as the answers of their fake ``wx.request``, so a change of shape fails here, and once
re-recorded, fails the mini-program's tests wherever a page reads what the backend no longer
sends.

``HANDHELD_RECORD=1`` (``make record``) rewrites the recordings instead of comparing.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from api.composition import Services
from api.identity.repository import department_apps
from core.passwords import hash_password
from core.settings import Settings
from tests.fixtures.bundles import BIRTH, HUKOU, SI_CARD, TWO_IN_ORDER
from tests.fixtures.declarations import (
    CREMATION,
    FILES,
    FUNERAL_SUBSIDY,
    LICENCE_ISSUER,
    RENT_WITHDRAWAL,
    first_format,
    synced,
)
from tests.fixtures.identity import Outside, bearer, make_staff, staff_login, user
from tests.fixtures.waiting import eventually

RECORDED = Path(__file__).resolve().parents[2] / "miniprogram" / "tests" / "fixtures" / "recorded"
RECORD = os.environ.get("HANDHELD_RECORD") == "1"
CHARGED_ITEM_NAME = "临时居民身份证申领"  # charged: a fee notice once accepted

# Values the backend or a stand-in makes up anew on every run, by the member that carries them
# (strings only; the replacement keeps the member's type).
VOLATILE_MEMBERS = frozenset({
    "accessToken", "refreshToken", "caseNumber", "licenceNumber", "noticeNumber",
    "paymentCode", "outTradeNo", "receiptNumber", "checkCode", "transactionId", "sha256",
    "timeStamp", "nonceStr", "package", "paySign", "keyId", "ticketNumber", "ticket", "waybillNumber",
})  # fmt: skip
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?")
# One-time values in URLs the backend hands out (the SSO authorize URL, the QR symbol's URL).
URL_SECRET = re.compile(r"[?&](nonce|code_challenge|state|code)=([^&#\s]+)")
DATE = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\dT:])")
# Placeholder times: a working Monday morning in Beijing, one minute (or day) apart in order.
BASE_TIME = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
BASE_DATE = date(2026, 11, 2)


@dataclass
class Exchange:
    method: str
    path: str
    query: dict[str, Any]
    status: int
    body: Any
    volatile: frozenset[str] = frozenset()


@dataclass
class Recorder:
    """Calls the live API as the mini-program does and keeps each named answer."""

    client: httpx.AsyncClient
    token: str = ""
    exchanges: dict[str, Exchange] = field(default_factory=dict)

    async def call(
        self,
        name: str | None,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        files: Any = None,
        status: int = 200,
        volatile: frozenset[str] = frozenset(),
    ) -> Any:
        sent = {**(bearer(self.token) if self.token else {}), **(headers or {})}
        resp = await self.client.request(
            method, path, json=json, params=params, headers=sent, files=files
        )
        assert resp.status_code == status, f"{method} {path}: {resp.status_code} {resp.text}"
        body = resp.json() if resp.content else None
        if name is not None:
            assert name not in self.exchanges, f"{name} recorded twice"
            self.exchanges[name] = Exchange(
                method, path, dict(params or {}), resp.status_code, body, volatile
            )
        return body

    def get(self, name: str | None, path: str, **kw: Any) -> Any:
        return self.call(name, "GET", path, **kw)

    def post(self, name: str | None, path: str, **kw: Any) -> Any:
        return self.call(name, "POST", path, **kw)


# --- normalization -------------------------------------------------------------------------


def _strings(value: Any, key: str | None = None) -> Iterator[tuple[str | None, str]]:
    """Every string in ``value``, with the member that holds it."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str):
        yield key, value


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _format_like(original: str, moment: datetime) -> str:
    """``moment`` written as ``original`` was: same offset style, same fraction or none."""
    parsed = datetime.fromisoformat(original.replace("Z", "+00:00"))
    local = moment.astimezone(parsed.tzinfo) if parsed.tzinfo else moment.replace(tzinfo=None)
    text = local.isoformat(timespec="microseconds" if "." in original else "seconds")
    if original.endswith("Z"):
        text = text.removesuffix("+00:00") + "Z"
    return text


class Normalizer:
    """Stable placeholders for what changes from run to run, the same value always mapped to
    the same placeholder across all answers (an id in a list is the id of the detail)."""

    def __init__(self, fixed: dict[str, str]) -> None:
        self.fixed = fixed  # exact substrings (stand-in base URLs) → placeholders
        self.values: dict[str, str] = {}
        self.counts: dict[str, int] = {}
        self.times: dict[str, str] = {}
        self.dates: dict[str, str] = {}

    def _placeholder(self, kind: str, value: str) -> None:
        if value in self.values or not value:
            return
        self.counts[kind] = self.counts.get(kind, 0) + 1
        n = self.counts[kind]
        self.values[value] = (
            f"00000000-0000-4000-8000-{n:012d}" if kind == "uuid" else f"{kind}-{n}"
        )

    def learn(self, exchanges: dict[str, Exchange]) -> None:
        instants: dict[str, datetime] = {}
        days: set[str] = set()
        for ex in exchanges.values():
            for key, text in [(None, ex.path), *_strings(ex.body)]:
                if key in VOLATILE_MEMBERS or key in ex.volatile:
                    self._placeholder(key, text)
                for kind, found in URL_SECRET.findall(text):
                    self._placeholder(kind, found)
                for found in UUID.findall(text):
                    self._placeholder("uuid", found)
                for found in DATETIME.findall(text):
                    instants[found] = _instant(found)
                days.update(DATE.findall(DATETIME.sub("", text)))
        order = sorted(set(instants.values()))
        rank = {moment: i for i, moment in enumerate(order)}
        for text, moment in instants.items():
            self.times[text] = _format_like(text, BASE_TIME + timedelta(minutes=rank[moment]))
        for i, day in enumerate(sorted(days)):
            self.dates[day] = (BASE_DATE + timedelta(days=i)).isoformat()

    def text(self, value: str) -> str:
        for original, placeholder in self.fixed.items():
            value = value.replace(original, placeholder)
        if value in self.values:
            return self.values[value]
        for original in sorted(self.values, key=len, reverse=True):
            if original in value:
                value = value.replace(original, self.values[original])
        value = DATETIME.sub(lambda m: self.times.get(m.group(0), m.group(0)), value)
        return DATE.sub(lambda m: self.dates.get(m.group(0), m.group(0)), value)

    def value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def exchange(self, ex: Exchange) -> dict[str, Any]:
        return {
            "method": ex.method,
            "path": self.text(ex.path),
            "query": self.value(ex.query),
            "status": ex.status,
            "body": self.value(ex.body),
        }


# --- shapes --------------------------------------------------------------------------------


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def shape(value: Any, path: str = "$") -> set[str]:
    """Every member's path and JSON type (list elements merged under ``[]``)."""
    lines = {f"{path}: {_type(value)}"}
    if isinstance(value, dict):
        for key, inner in value.items():
            lines |= shape(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for inner in value:
            lines |= shape(inner, f"{path}[]")
    return lines


def differences(name: str, recorded: dict[str, Any], live: dict[str, Any]) -> list[str]:
    out = []
    for member in ("method", "status"):
        if recorded.get(member) != live[member]:
            out.append(f"{name}: {member} {recorded.get(member)} → {live[member]}")
    now, before = shape(live["body"]), shape(recorded.get("body"))
    out += [f"{name}: + {line}  (sent now, not in the recording)" for line in sorted(now - before)]
    out += [f"{name}: - {line}  (recorded, no longer sent)" for line in sorted(before - now)]
    return out


# --- the journey ---------------------------------------------------------------------------


async def _upload(
    rec: Recorder, name: str | None, declaration: str, material: dict[str, Any]
) -> Any:
    data, content_type, file_name = FILES[first_format(material)]
    return await rec.call(
        name, "PUT", f"/api/v1/declarations/{declaration}/materials/{material['code']}",
        files={"file": (file_name, data, content_type)},
    )  # fmt: skip


async def _fill(rec: Recorder, name: str | None, detail: dict[str, Any]) -> Any:
    data = dict(detail["formData"])
    for f in detail["form"]:
        if f["key"] not in data and f["required"]:
            data[f["key"]] = {"select": (f["options"] or [""])[-1], "date": "2026-11-01",
                              "number": 1200}.get(f["type"], "申请办理")  # fmt: skip
    return await rec.call(
        name, "PATCH", f"/api/v1/declarations/{detail['id']}", json={"formData": data}
    )


async def _submit(rec: Recorder, name: str | None, declaration: str) -> Any:
    return await rec.post(
        name, f"/api/v1/declarations/{declaration}/submit",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )  # fmt: skip


async def _detail(rec: Recorder, declaration: str) -> dict[str, Any]:
    return dict(await rec.get(None, f"/api/v1/declarations/{declaration}"))


async def _wait(rec: Recorder, declaration: str, state: str, delivered: bool = True) -> None:
    async def reached() -> bool:
        d = await _detail(rec, declaration)
        return bool(d["state"] == state and (not delivered or d["delivery"] == "delivered"))

    await eventually(reached)


async def _advance(
    rec: Recorder, outside: Outside, declaration: str, to: str, **extra: Any
) -> None:
    case = (await _detail(rec, declaration))["caseNumber"]
    await outside.post(f"{outside.provincial}/_control/cases/{case}/advance", {"to": to, **extra})
    await _wait(rec, declaration, to)


async def _apply(rec: Recorder, item_code: str) -> dict[str, Any]:
    """A draft filled and with every material uploaded, not submitted."""
    draft = await rec.post(None, "/api/v1/declarations", json={"itemCode": item_code})
    await _fill(rec, None, draft)
    for material in draft["materials"]:
        await _upload(rec, None, draft["id"], material)
    return dict(draft)


async def _journey(rec: Recorder, outside: Outside, settings: Settings, services: Services) -> None:
    # Sign in as the mini-program does: wx.login's code, then real-name binding (SSO web-view).
    wx_user = f"wx-{uuid.uuid4().hex[:12]}"
    wx_code = await outside.wechat_code(wx_user)
    pair = await rec.post("auth.wechat-login", "/api/v1/auth/wechat/login", json={"code": wx_code})
    rec.token = pair["accessToken"]
    started = await rec.post(
        "auth.sso-start", "/api/v1/auth/sso/start", json={"purpose": "bind"},
        volatile=frozenset({"state", "authorizeUrl"}),
    )  # fmt: skip
    back = await outside.sign_in_at_platform(started["authorizeUrl"], user("zhangsan"))
    bound = await rec.post("auth.sso-complete", "/api/v1/auth/sso/complete", json=back)
    refreshed = await rec.post(
        "auth.refresh", "/api/v1/auth/refresh", json={"refreshToken": bound["refreshToken"]}
    )
    rec.token = refreshed["accessToken"]
    await rec.get("me", "/api/v1/me")
    # 我的: the phone number WeChat vouches for (getPhoneNumber's code), bound to the account.
    phone_code = await outside.wechat_phone_code(wx_user, "13912345678")
    await rec.post("auth.wechat-phone", "/api/v1/auth/wechat/phone", json={"code": phone_code})

    # The catalogue, with the halls that serve each item.
    await synced(services)
    await services.halls.sync()
    found = await rec.get("items.search", "/api/v1/items",
                          params={"q": CHARGED_ITEM_NAME, "page": 1, "pageSize": 20})  # fmt: skip
    charged = next(i["code"] for i in found["items"] if i["name"] == CHARGED_ITEM_NAME)
    # 办事: browse by theme, department or region.
    facets = await rec.get("catalog.facets", "/api/v1/catalog/facets")
    await rec.get("items.browse", "/api/v1/items",
                  params={"theme": facets["themes"][0]["code"], "page": 1, "pageSize": 20})  # fmt: skip
    await rec.get("item.detail", f"/api/v1/items/{charged}")
    await _halls(rec, charged)

    # An application that ends with an e-licence in the wallet (居民身份证补领 → SFZ).
    issuer = await _apply(rec, LICENCE_ISSUER)
    await _submit(rec, None, issuer["id"])
    await _wait(rec, issuer["id"], "submitted")
    for step in ("accepted", "processing", "completed"):
        await _advance(rec, outside, issuer["id"], step)
    await rec.get("declaration.completed", f"/api/v1/declarations/{issuer['id']}")
    await _bad_review(rec, services, issuer["id"])

    # The charged item: draft → form → uploads → submit → accepted → pay → completed → rate.
    draft = await rec.post("declaration.create", "/api/v1/declarations", json={"itemCode": charged})
    declaration = draft["id"]
    await rec.get("declarations.drafts", "/api/v1/declarations",
                  params={"state": "draft", "page": 1, "pageSize": 20})  # fmt: skip
    await _fill(rec, "declaration.save-form", draft)
    first, *others = draft["materials"]
    data, content_type, file_name = FILES[first_format(first)]
    # wx.uploadFile (POST, with progress) is how the mini-program uploads.
    await rec.post("material.upload", f"/api/v1/declarations/{declaration}/materials/{first['code']}",
                   files={"file": (file_name, data, content_type)})  # fmt: skip
    for material in others:
        await _upload(rec, None, declaration, material)
    await rec.get("declaration.draft", f"/api/v1/declarations/{declaration}")
    # 我的材料: the library of every file uploaded, one opened through a short-lived link.
    library = await rec.get("materials.list", "/api/v1/materials")
    await rec.post("materials.link", f"/api/v1/materials/{library[0]['id']}/link",
                   volatile=frozenset({"url"}))  # fmt: skip
    await rec.post(
        "push.subscriptions", "/api/v1/push/subscriptions",
        json={"results": {settings.wechat.template_progress: "accept",
                          settings.wechat.template_result: "accept"}},
    )  # fmt: skip
    await _submit(rec, "declaration.submit", declaration)
    await _wait(rec, declaration, "submitted")
    await rec.get("declaration.submitted", f"/api/v1/declarations/{declaration}")
    await _advance(rec, outside, declaration, "accepted")

    async def notice() -> dict[str, Any] | None:
        listed = await rec.get(None, "/api/v1/payments/notices",
                               params={"status": "all", "declarationId": declaration})  # fmt: skip
        return dict(listed["items"][0]) if listed["items"] else None

    fee = await eventually(notice)
    await rec.get("declaration.accepted", f"/api/v1/declarations/{declaration}")
    await rec.get("payments.notices", "/api/v1/payments/notices",
                  params={"status": "all", "declarationId": declaration})  # fmt: skip
    order = await rec.post(
        "payments.order-created", "/api/v1/payments/orders",
        json={"noticeId": fee["id"], "channel": "jsapi"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )  # fmt: skip
    # The citizen confirms in WeChat's cashier.
    async with outside.session.post(
        f"{settings.wechatpay.base_url}/_control/transactions/{order['outTradeNo']}/pay",
        json={"result": "SUCCESS"},
    ) as cashier:
        assert cashier.status < 300, await cashier.text()

    async def paid() -> bool:
        got = await rec.get(None, f"/api/v1/payments/orders/{order['id']}")
        return bool(got["status"] == "paid" and got["receipt"])

    await eventually(paid)
    await rec.get("payments.order-paid", f"/api/v1/payments/orders/{order['id']}")
    await rec.get("payments.receipt", f"/api/v1/payments/orders/{order['id']}/receipt")
    await rec.get("payments.notices-paid", "/api/v1/payments/notices",
                  params={"status": "all", "declarationId": declaration})  # fmt: skip
    await _advance(rec, outside, declaration, "processing")
    await rec.get("declaration.processing", f"/api/v1/declarations/{declaration}")
    await _advance(rec, outside, declaration, "completed")
    await rec.get("reviews.tags", "/api/v1/reviews/tags")
    await rec.get("reviews.open", f"/api/v1/declarations/{declaration}/reviews")
    await rec.post(
        "reviews.create", f"/api/v1/declarations/{declaration}/reviews",
        json={"level": 5, "scores": {"overall": 5, "efficiency": 5, "guideAccuracy": 4,
                                     "convenience": 5, "easeOfUse": 5},
              "tags": ["fast"], "text": "办理很快"},
    )  # fmt: skip
    await rec.get("reviews.rated", f"/api/v1/declarations/{declaration}/reviews")

    # The wallet: the licence, 亮证 and who checked it, and a department app that used it.
    async def imported() -> dict[str, Any] | None:
        entries = await rec.get(None, "/api/v1/licences")
        return next((dict(e) for e in entries if e["status"] != "pending"), None)

    licence = await eventually(imported)
    await rec.get("licences.detail", f"/api/v1/licences/{licence['id']}")
    shown = await rec.post("licences.display", f"/api/v1/licences/{licence['id']}/display",
                           volatile=frozenset({"code"}))  # fmt: skip
    checked = await rec.post(None, "/api/v1/licence-verifications",
                             json={"code": shown["code"], "verifier": "某酒店前台"})  # fmt: skip
    assert checked["valid"], checked
    await rec.get("licences.verifications", f"/api/v1/licences/{licence['id']}/verifications")
    await _department_use(rec, services, licence["id"])
    await rec.get("licences.uses", "/api/v1/licences/uses")
    await rec.get("licences.list", "/api/v1/licences")

    # 住房公积金提取: the licence used for one material, then the platform asks for two others.
    rent = await rec.post(None, "/api/v1/declarations", json={"itemCode": RENT_WITHDRAWAL})
    await _fill(rec, None, rent)
    materials = {m["code"]: m for m in rent["materials"]}
    await _upload(rec, None, rent["id"], materials["CL00401001-02"])
    await _upload(rec, None, rent["id"], materials["CL00401001-03"])
    await rec.call(
        "declaration.use-licence", "PUT",
        f"/api/v1/declarations/{rent['id']}/materials/CL00401001-01/licence",
        json={"licenceNumber": licence["licenceNumber"]},
    )  # fmt: skip
    await _submit(rec, None, rent["id"])
    await _wait(rec, rent["id"], "submitted")
    problems = [
        {"materialCode": "CL00401001-03", "problem": "银行卡照片模糊，请重新上传清晰照片"},
        {"materialCode": "CL00401001-02", "problem": "租房合同缺少出租人签字页"},
    ]
    await _advance(rec, outside, rent["id"], "needs_supplement", supplementItems=problems)
    waiting = await rec.get("declaration.needs_supplement", f"/api/v1/declarations/{rent['id']}")
    assert waiting["supplement"]["items"] == problems

    await _tolerated(rec, outside)

    # A draft given up.
    dropped = await rec.post(None, "/api/v1/declarations", json={"itemCode": RENT_WITHDRAWAL})
    await rec.post("declaration.withdraw", f"/api/v1/declarations/{dropped['id']}/withdraw",
                   json={"reason": ""})  # fmt: skip

    # A notice (通知公告) to everyone, drafted by an operator and approved by a supervisor.
    await _notice(rec, services)

    # Lists, the inbox (once every message of the journey is in), preferences, hot items.
    await rec.get("declarations.list", "/api/v1/declarations", params={"page": 1, "pageSize": 20})
    expected = {"declaration.submitted", "declaration.accepted", "declaration.completed",
                "declaration.needs_supplement", "payment.paid", "notice"}  # fmt: skip

    async def delivered() -> bool:
        box = await rec.get(None, "/api/v1/inbox", params={"page": 1, "pageSize": 50})
        return expected <= {m["eventType"] for m in box["items"]}

    await eventually(delivered)
    box = await rec.get("inbox", "/api/v1/inbox", params={"page": 1, "pageSize": 50})
    await rec.post("inbox.read", f"/api/v1/inbox/{box['items'][0]['id']}/read", status=204)
    await rec.get("push.preferences", "/api/v1/push/preferences")
    await rec.get("items.hot", "/api/v1/items/hot", params={"limit": 8})
    await _hotline(rec, settings)
    await _delivery(rec, outside, settings, charged)
    await _bundle(rec, outside)


async def _delivery(rec: Recorder, outside: Outside, settings: Settings, pickup_item: str) -> None:
    """The address book; pickup at a hall shown with its hours; a certificate posted to an
    address, shipped by the courier and tracked (邮寄送达)."""
    address = await rec.post(
        "addresses.create", "/api/v1/addresses",
        json={"recipient": "张三", "phone": "13800138000", "regionCode": "620102",
              "regionName": "西岭省 金城市 城关区", "detail": "民主东路 88 号 3 单元 501 室",
              "label": "家"},
    )  # fmt: skip
    await rec.get("addresses.list", "/api/v1/addresses")
    hall_draft = await rec.post(None, "/api/v1/declarations", json={"itemCode": pickup_item})
    options = await rec.get(
        "delivery.options", f"/api/v1/declarations/{hall_draft['id']}/result-delivery"
    )
    await rec.call(
        "delivery.pickup", "PUT", f"/api/v1/declarations/{hall_draft['id']}/result-delivery",
        json={"method": "pickup", "hallCode": options["halls"][0]["hallCode"]},
    )  # fmt: skip
    items = await rec.get(None, "/api/v1/items", params={"q": "无犯罪记录证明"})
    posted = await _apply(rec, items["items"][0]["code"])
    await rec.call(
        "delivery.postal", "PUT", f"/api/v1/declarations/{posted['id']}/result-delivery",
        json={"method": "postal", "addressId": address["id"]},
    )  # fmt: skip
    await _submit(rec, None, posted["id"])
    await _wait(rec, posted["id"], "submitted")
    for step in ("accepted", "processing", "completed"):
        await _advance(rec, outside, posted["id"], step)

    async def shipped() -> str | None:
        seen = await rec.get(None, f"/api/v1/declarations/{posted['id']}/result-delivery")
        return seen["waybillNumber"]

    waybill = await eventually(shipped)
    async with httpx.AsyncClient() as courier:
        for _ in range(2):
            moved = await courier.post(
                f"{settings.postal.base_url}/_control/shipments/{waybill}/advance", json={}
            )
            assert moved.status_code == 200, moved.text

    async def in_transit() -> bool:
        seen = await rec.get(None, f"/api/v1/declarations/{posted['id']}/result-delivery")
        return bool(seen["status"] == "in_transit")

    await eventually(in_transit)
    await rec.get("delivery.tracking", f"/api/v1/declarations/{posted['id']}/result-delivery")
    await rec.get("deliveries.list", "/api/v1/result-deliveries")


async def _bundle(rec: Recorder, outside: Outside) -> None:
    """出生一件事: the situations' plan, the bundle started, its one form saved, one upload per
    document, submitted; 户口登记 completed, so 社保卡 has started after it."""
    plan = await rec.post("bundle.plan", f"/api/v1/bundle-guides/{BIRTH}/plan",
                          json={"answers": TWO_IN_ORDER})  # fmt: skip
    assert [m["itemCode"] for m in plan["members"] if m["chosen"]] == [HUKOU, SI_CARD]
    bundle = await rec.post(
        "bundle.start", "/api/v1/bundles",
        json={"bundleCode": BIRTH, "answers": TWO_IN_ORDER},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )  # fmt: skip
    one = f"/api/v1/bundles/{bundle['id']}"
    data = dict(bundle["formData"])
    for f in bundle["form"]:
        if f["required"] and f["key"] not in data:
            data[f["key"]] = {"select": f["options"][0] if f["options"] else "",
                              "date": "2026-11-20", "number": 1}.get(f["type"], "王小明")  # fmt: skip
    saved = await rec.call("bundle.save-form", "PATCH", one, json={"formData": data})
    for material in saved["materials"]:
        if material["required"] and not material["tolerance"] and not material["satisfied"]:
            content, content_type, name = FILES[first_format(material)]
            await rec.call(None, "PUT", f"{one}/materials/{material['key']}",
                           files={"file": (name, content, content_type)})  # fmt: skip
    await rec.post("bundle.submit", f"{one}/submit",
                   headers={"Idempotency-Key": str(uuid.uuid4())})  # fmt: skip

    async def member(code: str, status: str) -> dict[str, Any] | None:
        found = await rec.get(None, one)
        m = next(m for m in found["members"] if m["itemCode"] == code)
        return m if m["status"] == status and m["caseNumber"] else None

    hukou = await eventually(lambda: member(HUKOU, "started"))
    for step in ("accepted", "processing", "completed"):
        await _advance(rec, outside, hukou["declarationId"], step)
    await eventually(lambda: member(SI_CARD, "started"))
    await rec.get("bundle.detail", one)
    await rec.get("bundles.list", "/api/v1/bundles", params={"page": 1, "pageSize": 20})


async def _hotline(rec: Recorder, settings: Settings) -> None:
    """A complaint to 12345 (投诉), answered by the stand-in's operators, rated."""
    filed = await rec.post(
        "hotline.create", "/api/v1/hotline/tickets",
        json={"kind": "complaint", "title": "公积金提取超时", "content": "超过承诺时限仍未办结。",
              "itemCode": RENT_WITHDRAWAL},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )  # fmt: skip

    async def received() -> str | None:
        seen = await rec.get(None, f"/api/v1/hotline/tickets/{filed['id']}")
        return seen["ticketNumber"] if seen["state"] == "received" else None

    number = await eventually(received)
    control = f"{settings.hotline.base_url}/_control/tickets/{number}"
    async with httpx.AsyncClient() as operators:
        for action, body in (
            ("accept", None),
            ("transfer", {"department": {"code": "116201000139001392",
                                         "name": "金城市人力资源和社会保障局"}}),
            ("reply", {"text": "经核实，已为您办结提取。"}),
        ):  # fmt: skip
            assert (await operators.post(f"{control}/{action}", json=body)).status_code == 200

    async def replied() -> bool:
        seen = await rec.get(None, f"/api/v1/hotline/tickets/{filed['id']}")
        return bool(seen["state"] == "replied")

    await eventually(replied)
    await rec.get("hotline.detail", f"/api/v1/hotline/tickets/{filed['id']}")
    await rec.post(
        "hotline.rate", f"/api/v1/hotline/tickets/{filed['id']}/satisfaction",
        json={"result": "satisfied", "comment": "处理及时"},
    )  # fmt: skip
    await rec.get("hotline.list", "/api/v1/hotline/tickets")


async def _halls(rec: Recorder, item_code: str) -> None:
    """Halls serving the item, one in full, its slots; a booking made, another cancelled."""
    halls = await rec.get("halls.list", "/api/v1/halls", params={"itemCode": item_code})
    hall = halls[0]["code"]
    await rec.get("halls.detail", f"/api/v1/halls/{hall}")
    slots = await rec.get("halls.slots", f"/api/v1/halls/{hall}/slots",
                          params={"itemCode": item_code})  # fmt: skip
    free = [(d["date"], s["start"]) for d in slots["days"] for s in d["slots"] if s["remaining"]]
    booked = []
    for n, (day, start) in enumerate(free[-2:]):
        booked.append(await rec.post(
            "appointments.book" if n == 0 else None, "/api/v1/appointments",
            json={"hallCode": hall, "itemCode": item_code, "date": day, "start": start},
            status=201,
        ))  # fmt: skip
    await rec.post("appointments.cancel", f"/api/v1/appointments/{booked[1]['id']}/cancel")
    await rec.get("appointments.list", "/api/v1/appointments")


async def _notice(rec: Recorder, services: Services) -> None:
    operator = await staff_login(rec.client, await make_staff(services, "mp-op", "operator"))
    supervisor = await staff_login(rec.client, await make_staff(services, "mp-sup", "supervisor"))
    draft = {"title": "春节假期办事安排", "body": "春节期间网上申报照常受理，窗口业务节后办理。",
             "audience": {"kind": "all"}}  # fmt: skip
    drafted = await rec.client.post("/ops/v1/notices", json=draft, headers=bearer(operator))
    assert drafted.status_code == 200, drafted.text
    approved = await rec.client.post(
        f"/ops/v1/notices/{drafted.json()['id']}/approve", headers=bearer(supervisor)
    )
    assert approved.status_code == 200, approved.text


async def _department_use(rec: Recorder, services: Services, licence_id: str) -> None:
    """A department app, under the citizen's consent, reads the licence (授权用证)."""
    async with services.infra.pool.acquire() as conn:
        await department_apps.upsert_department_app(
            conn, "police-h5", "公安网厅", hash_password("p-secret"), ["openid"]
        )
    consent = await rec.post(None, "/api/v1/licences/consents",
                             json={"licenceId": licence_id, "clientId": "police-h5",
                                   "purpose": "办理户籍业务"})  # fmt: skip
    await rec.get("consents.list", "/api/v1/licences/consents")
    ticket = await rec.post("auth.ticket", "/api/v1/auth/tickets", json={"clientId": "police-h5"})
    resp = await rec.client.post(
        "/api/v1/oauth/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": ticket["ticket"],
            "subject_token_type": "urn:handheld:params:oauth:token-type:ticket",
        },
        auth=httpx.BasicAuth("police-h5", "p-secret"),
    )
    assert resp.status_code == 200, resp.text
    token = resp.json()["access_token"]
    used = await rec.client.get("/api/v1/department/licences", headers=bearer(token))
    assert used.status_code == 200 and len(used.json()) == 1, used.text
    await rec.call(
        "consents.revoke", "DELETE", f"/api/v1/licences/consents/{consent['id']}", status=204
    )


async def _tolerated(rec: Recorder, outside: Outside) -> None:
    """容缺: accepted with the cremation certificate missing, which is sent after acceptance."""
    draft = await rec.post(None, "/api/v1/declarations", json={"itemCode": FUNERAL_SUBSIDY})
    await _fill(rec, None, draft)
    for material in draft["materials"]:
        if material["required"] and material["code"] != CREMATION and not material["tolerance"]:
            await _upload(rec, None, draft["id"], material)
    await _submit(rec, None, draft["id"])
    await _wait(rec, draft["id"], "submitted")
    await _advance(rec, outside, draft["id"], "accepted", toleratedMissing=[CREMATION])
    await rec.get("declaration.tolerated", f"/api/v1/declarations/{draft['id']}")
    late = next(m for m in draft["materials"] if m["code"] == CREMATION)
    await _upload(rec, None, draft["id"], late)
    await rec.post(
        "declaration.tolerated-sent", f"/api/v1/declarations/{draft['id']}/tolerated-materials"
    )


async def _bad_review(rec: Recorder, services: Services, declaration: str) -> None:
    """差评: the rectification ticket while open, then its outcome and the follow-up rating."""
    await rec.post(
        None, f"/api/v1/declarations/{declaration}/reviews",
        json={"level": 1, "scores": {"overall": 1, "efficiency": 1, "guideAccuracy": 2,
                                     "convenience": 2, "easeOfUse": 3},
              "tags": ["overdue_without_reason"], "text": "超过承诺时限才办结"},
    )  # fmt: skip
    await rec.get("reviews.ticket-open", f"/api/v1/declarations/{declaration}/reviews")
    operator = bearer(
        await staff_login(rec.client, await make_staff(services, "mp-rv", "operator"))
    )
    listed = await rec.client.get("/ops/v1/reviews/tickets?state=open", headers=operator)
    assert listed.status_code == 200, listed.text
    path = f"/ops/v1/reviews/tickets/{listed.json()['items'][0]['id']}"
    for action, body in (
        ("contact", {"note": "已电话回访申请人"}),
        ("resolve", {"outcome": "rectified", "note": "已督促审批部门整改，并向申请人致歉"}),
    ):
        done = await rec.client.post(f"{path}/{action}", json=body, headers=operator)
        assert done.status_code == 200, done.text
    await rec.get("reviews.follow-up", f"/api/v1/declarations/{declaration}/reviews")


def _write(name: str, exchange: dict[str, Any]) -> None:
    text = json.dumps(exchange, ensure_ascii=False, indent=2) + "\n"
    (RECORDED / f"{name}.json").write_text(text, encoding="utf-8")


async def test_the_backend_answers_as_recorded_for_the_miniprogram(
    live: httpx.AsyncClient,
    worker: None,
    settings: Settings,
    outside: Outside,
    services: Services,
) -> None:
    rec = Recorder(live)
    await _journey(rec, outside, settings, services)

    fixed = {
        str(live.base_url).rstrip("/"): "http://api.test",
        settings.provincial.base_url.rstrip("/"): "http://provincial.test",
        settings.wechat.base_url.rstrip("/"): "http://wechat.test",
        settings.wechatpay.base_url.rstrip("/"): "http://wechatpay.test",
    }
    normalizer = Normalizer(fixed)
    normalizer.learn(rec.exchanges)
    answers = {name: normalizer.exchange(ex) for name, ex in rec.exchanges.items()}

    if RECORD:
        RECORDED.mkdir(parents=True, exist_ok=True)
        for stale in set(p.stem for p in RECORDED.glob("*.json")) - set(answers):
            (RECORDED / f"{stale}.json").unlink()
        for name, exchange in answers.items():
            _write(name, exchange)
        return

    on_disk = {p.stem for p in RECORDED.glob("*.json")}
    problems = [f"{name}: answered now, not recorded" for name in sorted(set(answers) - on_disk)]
    problems += [f"{name}: recorded, no longer answered" for name in sorted(on_disk - set(answers))]
    for name in sorted(set(answers) & on_disk):
        recorded = json.loads((RECORDED / f"{name}.json").read_text(encoding="utf-8"))
        problems += differences(name, recorded, answers[name])
    assert not problems, (
        "The backend's answers differ in shape from the recordings the mini-program's tests "
        "replay (miniprogram/tests/fixtures/recorded/). If the change is meant, run `make record` "
        "and make the mini-program follow it (its jest tests then show where):\n"
        + "\n".join(problems)
    )


def test_shape_sees_renamed_added_and_retyped_members() -> None:
    before = {"items": [{"materialCode": "A", "problem": "x"}], "total": 1}
    assert shape(before) == shape({"items": [{"materialCode": "B", "problem": "y"}], "total": 2})
    renamed = {"items": [{"code": "A", "problem": "x"}], "total": 1}
    added = {"items": [{"materialCode": "A", "problem": "x", "name": "n"}], "total": 1}
    retyped = {"items": [{"materialCode": "A", "problem": None}], "total": 1}
    for changed in (renamed, added, retyped):
        assert differences("x", {"method": "GET", "status": 200, "body": before},
                           {"method": "GET", "status": 200, "body": changed})  # fmt: skip


def test_normalizer_keeps_types_order_and_identity() -> None:
    ident = str(uuid.uuid4())
    exchanges = {
        "a": Exchange("GET", f"/x/{ident}", {}, 200, {
            "id": ident, "caseNumber": "XL2026110300001", "count": 3,
            "at": "2026-12-01T08:00:00.123456Z", "due": "2026-12-30",
            "text": "办件 XL2026110300001 已受理", "later": "2026-12-01T09:00:00+08:00",
        }),
    }  # fmt: skip
    normalizer = Normalizer({})
    normalizer.learn(exchanges)
    out = normalizer.exchange(exchanges["a"])
    body = out["body"]
    assert out["path"] == f"/x/{body['id']}" and UUID.fullmatch(body["id"])
    assert body["caseNumber"] == "caseNumber-1" and body["text"] == "办件 caseNumber-1 已受理"
    assert body["count"] == 3 and body["due"] == "2026-11-02"
    # 09:00+08:00 is earlier than 08:00Z: ranks follow the instants, formats are kept.
    assert body["later"] == "2026-11-02T09:00:00+08:00"
    assert body["at"] == "2026-11-02T01:01:00.000000Z"
