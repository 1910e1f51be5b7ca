"""Refunds (an operator asks, a supervisor approves, one refund per out_refund_no however often it
is retried) and the daily reconciliation of WeChat's bill with our orders."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from api.composition import Services
from payments.tasks import PaymentJobs
from tests.fixtures.identity import bearer, make_staff, staff_login
from tests.fixtures.payments import Payer, WechatPayDesk, paid_order
from tests.fixtures.waiting import eventually


async def _staff(client: httpx.AsyncClient, services: Services, role: str) -> dict[str, str]:
    account = await make_staff(services, f"{role}-{uuid.uuid4().hex[:6]}", role)
    return bearer(await staff_login(client, account))


async def test_refund_needs_a_supervisor_and_is_made_once(
    live: httpx.AsyncClient, worker: None, payer: Payer, desk: WechatPayDesk, services: Services,
    client: httpx.AsyncClient,
) -> None:  # fmt: skip
    order = await paid_order(payer, desk)
    operator = await _staff(client, services, "operator")
    supervisor = await _staff(client, services, "supervisor")
    auditor = await _staff(client, services, "auditor")

    too_much = await client.post(
        f"/ops/v1/payments/orders/{order['id']}/refunds",
        json={"amountFen": order["amountFen"] + 1, "reason": "多收费用退还"}, headers=operator,
    )  # fmt: skip
    assert too_much.status_code == 409 and too_much.json()["code"] == "REFUND_NOT_ALLOWED"
    asked = await client.post(
        f"/ops/v1/payments/orders/{order['id']}/refunds",
        json={"amountFen": order["amountFen"], "reason": "申请人撤回，全额退费"}, headers=operator,
    )  # fmt: skip
    assert asked.status_code == 200, asked.text
    refund = asked.json()
    assert refund["status"] == "pending_approval"
    approve = f"/ops/v1/payments/refunds/{refund['id']}/approve"
    assert (await client.post(approve, headers=operator)).status_code == 403  # role
    assert (await client.post(approve, headers=auditor)).status_code == 403

    # A supervisor cannot approve the refund they asked for themselves.
    own = await client.post(
        f"/ops/v1/payments/orders/{order['id']}/refunds",
        json={"amountFen": 1, "reason": "自行发起的退款"}, headers=supervisor,
    )  # fmt: skip
    assert own.status_code == 409  # nothing left to refund beyond the first request
    approved = await client.post(approve, headers=supervisor)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert (await client.post(approve, headers=supervisor)).status_code == 409

    # The job is retried three times (a timeout after WeChat made the refund, say): one refund.
    refund_id = uuid.UUID(refund["id"])
    jobs = PaymentJobs(services.payments, services.infra.pool)
    await asyncio.gather(*(jobs.execute_refund(refund_id) for _ in range(3)))
    at_wechat = (await desk.get("/_control/refunds"))["refunds"]
    assert len([r for r in at_wechat if r["out_refund_no"] == refund["outRefundNo"]]) == 1

    async def refunded() -> bool:
        listed = await client.get("/ops/v1/payments/orders", headers=auditor)
        mine = next(o for o in listed.json()["items"] if o["id"] == order["id"])
        return bool(mine["status"] == "refunded" and mine["refundedFen"] == order["amountFen"])

    await eventually(refunded)
    done = await client.get("/ops/v1/payments/refunds", headers=auditor)
    assert [r["status"] for r in done.json()["items"] if r["id"] == refund["id"]] == ["success"]


async def test_self_approval_is_refused(
    live: httpx.AsyncClient, worker: None, payer: Payer, desk: WechatPayDesk, services: Services,
    client: httpx.AsyncClient,
) -> None:  # fmt: skip
    order = await paid_order(payer, desk)
    supervisor = await _staff(client, services, "supervisor")
    asked = await client.post(
        f"/ops/v1/payments/orders/{order['id']}/refunds",
        json={"amountFen": 1, "reason": "部分退费"}, headers=supervisor,
    )  # fmt: skip
    assert asked.status_code == 200, asked.text
    own = await client.post(
        f"/ops/v1/payments/refunds/{asked.json()['id']}/approve", headers=supervisor
    )
    assert own.status_code == 403 and own.json()["code"] == "SELF_APPROVAL_FORBIDDEN"


async def test_reconciliation_reports_planted_mismatches(
    live: httpx.AsyncClient, worker: None, payer: Payer, desk: WechatPayDesk, services: Services,
    client: httpx.AsyncClient,
) -> None:  # fmt: skip
    order = await paid_order(payer, desk)
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    # WeChat makes a day's bill the next day: move its business clock on (signatures keep
    # the wall time).
    await desk.post("/_control/clock", {"offsetSeconds": 86400})
    payments = PaymentJobs(services.payments, services.infra.pool)  # as the worker runs them
    clean = await payments.reconcile(day)
    assert (clean.matched, clean.mismatches) == (1, 0)

    # WeChat's bill shows another amount for ours, and a payment we never ordered.
    await desk.post("/_control/bill-faults", {
        "billDate": day.isoformat(), "outTradeNo": order["outTradeNo"],
        "set": {"应结订单金额": "0.01", "订单金额": "0.01"},
    })  # fmt: skip
    stranger = "ZZ" + uuid.uuid4().hex[:20]
    await desk.post(
        "/_control/transactions",
        {"total": 1234, "outTradeNo": stranger, "successTime": f"{day.isoformat()}T09:30:00+08:00"},
    )
    result = await payments.reconcile(day)
    assert result.mismatches == 2
    again = await payments.reconcile(day)  # re-running records nothing twice
    assert again.mismatches == 2

    auditor = await _staff(client, services, "auditor")
    listed = await client.get("/ops/v1/payments/mismatches", headers=auditor)
    found = {(m["outTradeNo"], m["kind"]) for m in listed.json()["items"]}
    assert found == {(order["outTradeNo"], "amount"), (stranger, "missing_ours")}
    operator = await _staff(client, services, "operator")
    first = listed.json()["items"][0]
    resolved = await client.post(
        f"/ops/v1/payments/mismatches/{first['id']}/resolve",
        json={"note": "已与微信支付核实"}, headers=operator,
    )  # fmt: skip
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    still_open = await client.get("/ops/v1/payments/mismatches", headers=auditor)
    assert len(still_open.json()["items"]) == 1
    figures = (await client.get("/ops/v1/payments/figures", headers=auditor)).json()
    assert figures["mismatchesOpen"] == 1 and figures["ordersByStatus"] == {"paid": 1}
    assert figures["paidFen"] == order["amountFen"] and figures["refundedFen"] == 0


async def test_a_refund_settles_without_its_notification(
    live: httpx.AsyncClient, worker: None, payer: Payer, desk: WechatPayDesk,
    services: Services, client: httpx.AsyncClient,
) -> None:  # fmt: skip
    """WeChat's refund notification never verifies: the refund job asks again until it ends."""
    order = await paid_order(payer, desk)
    operator = await _staff(client, services, "operator")
    supervisor = await _staff(client, services, "supervisor")
    asked = await client.post(
        f"/ops/v1/payments/orders/{order['id']}/refunds",
        json={"amountFen": order["amountFen"], "reason": "全额退费"}, headers=operator,
    )  # fmt: skip
    await desk.post("/_control/notify-faults", {"badSignature": True})
    approve = f"/ops/v1/payments/refunds/{asked.json()['id']}/approve"
    assert (await client.post(approve, headers=supervisor)).status_code == 200

    async def refunded() -> bool:
        listed = await client.get("/ops/v1/payments/refunds", headers=supervisor)
        mine = next(r for r in listed.json()["items"] if r["id"] == asked.json()["id"])
        return bool(mine["status"] == "success")

    await eventually(refunded)
    sent = (await desk.get("/_control/notifications"))["attempts"]
    refund_notes = [a for a in sent if a["eventType"] == "REFUND.SUCCESS"]
    assert refund_notes and all(a["status"] == 401 for a in refund_notes)
