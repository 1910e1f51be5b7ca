"""Each stand-in's reset puts a used stand-in back to what a new one is: the tests share one
stand-in per run and reset it around every test that uses it."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from sandbox.apppush.app import reset_apppush
from sandbox.hallqueue import reset_hallqueue
from sandbox.hotline.app import reset_hotline
from sandbox.postal.app import reset_postal
from sandbox.provincial.app import reset_provincial
from sandbox.runner import RunningApp
from sandbox.sms.app import reset_sms
from sandbox.wechat.app import reset_wechat
from sandbox.wechatpay.app import reset_wechatpay
from tests.fixtures import standins

ITEM = "11620100013900112A-GG-00101-002"  # 居民身份证补领
AUTH = {"Authorization": f"Bearer {standins.PROVINCIAL_KEY}"}


@dataclass
class StandIn:
    build: Callable[[Path], web.Application]
    reset: Callable[[web.Application], Awaitable[None] | None]
    # What a test does to it: (method, path, body), each answered 2xx.
    use: list[tuple[str, str, Any]]
    # What it shows of its state: GET paths, read in this order.
    looks: list[str]


def _wechatpay_app(directory: Path) -> web.Application:
    from sandbox.wechatpay import build_wechatpay_app

    keys = standins.make_wechatpay_keys(directory)
    merchant = standins.merchant_key(keys).merchant()
    return build_wechatpay_app(merchants=[merchant], keys_dir=keys / "platform")


CLOCK = ("POST", "/_control/clock", {"offsetSeconds": 86_400})
FAULT = ("POST", "/_control/faults", {"mode": "error", "status": 503})

STAND_INS = {
    "provincial": StandIn(
        build=lambda _: standins.provincial_app(),
        reset=reset_provincial,
        use=[
            CLOCK,
            ("GET", f"/gov/catalog/v1/items/{ITEM}", None),
            ("POST", f"/_control/items/{ITEM}/suspend", {"reason": "系统升级"}),
            ("POST", "/_control/callback-faults", {"delaySeconds": 30}),
            ("POST", "/_control/licence-faults", {"tamper": "signature"}),
            ("POST", "/_control/faults", {"mode": "error", "pathPrefix": "/gov/cases/"}),
            (
                "PATCH",
                "/_control/halls/H620100001",
                {"closures": [{"date": "2026-06-18", "reason": "闭厅"}]},
            ),
        ],
        looks=[
            "/_control/stats",
            "/_control/clock",
            "/_control/faults",
            "/_control/cases",
            "/_control/callbacks",
            "/_control/callback-faults",
            "/_control/licence-faults",
            "/_control/payment-reports",
            "/_control/ratings",
            f"/gov/catalog/v1/items/{ITEM}",
            "/gov/halls/v1/halls",
        ],
    ),
    "wechat": StandIn(
        build=lambda _: standins.wechat_app(),
        reset=reset_wechat,
        use=[
            CLOCK,
            ("POST", "/_control/users", {"user": "wx-a", "phone": "13800001111"}),
            ("POST", "/_control/subscriptions", {"user": "wx-a", "templateId": "TPL_NOTICE"}),
            ("POST", "/_control/subscribe-limits", {"dailyLimit": 1, "perSecond": 1}),
            ("POST", "/_control/push-config", {"url": "http://127.0.0.1:9/x", "format": "xml"}),
        ],
        looks=[
            "/_control/clock",
            "/_control/templates",
            "/_control/subscriptions?user=wx-a",
            "/_control/sent",
            "/_control/subscribe-limits",
            "/_control/push-events",
            "/_control/push-config",
        ],
    ),
    "sms": StandIn(
        build=lambda _: standins.sms_app(),
        reset=reset_sms,
        use=[CLOCK, ("POST", "/_control/sms-fail", {"phone": "13800001111"}), FAULT],
        looks=["/_control/clock", "/_control/messages", "/_control/faults"],
    ),
    "apppush": StandIn(
        build=lambda _: standins.apppush_app(),
        reset=reset_apppush,
        use=[CLOCK, ("POST", "/_control/devices", {"registrationId": "rid1"}), FAULT],
        looks=["/_control/clock", "/_control/devices", "/_control/pushes", "/_control/faults"],
    ),
    "wechatpay": StandIn(
        build=_wechatpay_app,
        reset=reset_wechatpay,
        use=[
            CLOCK,
            ("POST", "/_control/transactions", {"total": 100}),
            ("POST", "/_control/signing", {"mode": "platform_certificate"}),
            ("POST", "/_control/notify-faults", {"duplicates": 2}),
            ("POST", "/_control/bill-faults", {"billDate": "2026-11-01", "outTradeNo": "X1"}),
        ],
        looks=[
            "/_control/clock",
            "/_control/merchants",
            "/_control/transactions",
            "/_control/refunds",
            "/_control/notifications",
            "/_control/signing",
            "/_control/notify-faults",
            "/_control/bill-faults",
        ],
    ),
    "hallqueue": StandIn(
        build=lambda _: standins.hallqueue_app(),
        reset=reset_hallqueue,
        use=[
            CLOCK,
            ("POST", "/_control/halls/H1/walk-in", None),
            ("POST", "/_control/callback-faults", {"duplicate": True}),
        ],
        looks=["/_control/clock", "/_control/callbacks", "/_control/callback-faults"],
    ),
    "hotline": StandIn(
        build=lambda _: standins.hotline_app(),
        reset=reset_hotline,
        use=[CLOCK, ("POST", "/_control/callback-faults", {"duplicate": True}), FAULT],
        looks=[
            "/_control/clock",
            "/_control/tickets",
            "/_control/callbacks",
            "/_control/callback-faults",
            "/_control/faults",
        ],
    ),
    "postal": StandIn(
        build=lambda _: standins.postal_app(),
        reset=reset_postal,
        use=[
            CLOCK,
            ("POST", "/_control/callback-faults", {"duplicate": True, "delaySeconds": 5}),
            FAULT,
        ],
        looks=[
            "/_control/clock",
            "/_control/shipments",
            "/_control/callbacks",
            "/_control/callback-faults",
            "/_control/faults",
        ],
    ),
}


async def _call(
    http: aiohttp.ClientSession, server: RunningApp, method: str, path: str, body: Any = None
) -> Any:
    async with http.request(method, server.url + path, json=body, headers=AUTH) as resp:
        assert resp.status < 300, f"{method} {path}: {resp.status} {await resp.text()}"
        return await resp.json()


async def _state(http: aiohttp.ClientSession, server: RunningApp, stand_in: StandIn) -> Any:
    state = {path: await _call(http, server, "GET", path) for path in stand_in.looks}
    state["/_control/clock"].pop("now")  # the time of the reading
    return state


@pytest.mark.parametrize("name", list(STAND_INS))
async def test_reset_makes_a_used_stand_in_new(name: str, tmp_path: Path) -> None:
    stand_in = STAND_INS[name]
    async with (
        aiohttp.ClientSession() as http,
        standins.serving(stand_in.build(tmp_path)) as new,
        standins.serving(stand_in.build(tmp_path)) as used,
    ):
        fresh = await _state(http, new, stand_in)
        for method, path, body in stand_in.use:
            await _call(http, used, method, path, body)
        assert await _state(http, used, stand_in) != fresh

        done = stand_in.reset(used.runner.app)
        if inspect.isawaitable(done):
            await done
        assert await _state(http, used, stand_in) == fresh


async def test_wechat_reset_sends_message_push_to_the_tests_api() -> None:
    """A stand-in shared by the tests learns each test's API port when it is reset: its
    message-push events go there, and back there after any later reset."""
    received: asyncio.Queue[str] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        received.put_nowait(request.path)
        return web.Response(text="success")

    api = web.Application()
    api.router.add_post("/api/v1/hooks/wechat/message-push", hook)
    async with (
        aiohttp.ClientSession() as http,
        standins.serving(api) as our_api,
        standins.serving(standins.wechat_app()) as wechat,
    ):
        standins.fresh_wechat(wechat, our_api.port)
        reset_wechat(wechat.runner.app)  # a later reset (the control API's) keeps the URL
        config = await _call(http, wechat, "GET", "/_control/push-config")
        assert config["url"] == f"{our_api.url}/api/v1/hooks/wechat/message-push"
        user = {"user": "wx-a", "phone": "13800001111"}
        await _call(http, wechat, "POST", "/_control/users", user)
        event = {"Event": "subscribe_msg_popup_event"}
        await _call(http, wechat, "POST", "/_control/push-events", {"user": "wx-a", "event": event})
        assert await asyncio.wait_for(received.get(), 10) == "/api/v1/hooks/wechat/message-push"
