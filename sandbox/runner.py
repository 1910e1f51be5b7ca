"""Start the stand-ins: ``start_app`` (one app, used by tests) and ``run_sandbox`` (all of them)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from sandbox.apppush.app import build_apppush_app
from sandbox.hallqueue.app import DEFAULT_CALLBACK_SECRET as DEFAULT_HALLQUEUE_SECRET
from sandbox.hallqueue.app import build_hallqueue_app
from sandbox.hotline.app import DEFAULT_CALLBACK_SECRET as DEFAULT_HOTLINE_SECRET
from sandbox.hotline.app import build_hotline_app
from sandbox.postal.app import DEFAULT_CALLBACK_SECRET as DEFAULT_POSTAL_SECRET
from sandbox.postal.app import build_postal_app
from sandbox.provincial.app import build_provincial_app
from sandbox.provincial.cases import DEFAULT_CALLBACK_SECRET
from sandbox.provincial.delivery import DELIVERIES_KEY, CourierLink
from sandbox.provincial.identity import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_ISSUER,
    default_oauth_clients,
)
from sandbox.sms.app import build_sms_app
from sandbox.wechat.app import build_wechat_app
from sandbox.wechat.crypto import DEFAULT_PUSH_AES_KEY, DEFAULT_PUSH_TOKEN
from sandbox.wechatpay.app import build_wechatpay_app
from sandbox.wechatpay.keys import dev_merchant

log = logging.getLogger("sandbox")

# Requests held by a fault are released at shutdown, so a short grace period is enough.
SHUTDOWN_TIMEOUT = 2.0


@dataclass(frozen=True)
class RunningApp:
    """An app served on a TCP port; ``url`` has no trailing slash."""

    runner: web.AppRunner
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def close(self) -> None:
        await self.runner.cleanup()


async def start_app(
    app: web.Application, host: str = "127.0.0.1", port: int = 0, *, any_if_taken: bool = False
) -> RunningApp:
    """Serve ``app`` on ``host:port``; port 0 picks a free port, read back from the socket.

    ``any_if_taken``: a port already in use falls back to a free one, decided by the bind itself
    (a port checked free beforehand can be taken, even as the local end of an outgoing
    connection, before the bind)."""
    runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_TIMEOUT, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            if not (any_if_taken and port and exc.errno == errno.EADDRINUSE):
                raise
            log.info("port %s is taken; serving on a free port instead", port)
            await site.stop()  # never bound; only taken off the runner's sites
            site = web.TCPSite(runner, host, 0)
            await site.start()
        bound = runner.addresses[0]
        return RunningApp(runner=runner, host=host, port=int(bound[1]))
    except BaseException:
        await runner.cleanup()
        raise


async def run_sandbox(
    *,
    host: str,
    provincial_port: int,
    wechat_port: int,
    data_dir: Path | None,
    provincial_api_key: str,
    wechat_appid: str,
    wechat_secret: str,
    ready: asyncio.Event | None = None,
    sms_port: int = 8103,
    sms_api_key: str = "dev-sms-key",
    oauth_client_id: str = DEFAULT_CLIENT_ID,
    oauth_client_secret: str = DEFAULT_CLIENT_SECRET,
    oauth_issuer: str | None = DEFAULT_ISSUER,
    callback_url: str | None = None,
    callback_secret: str = DEFAULT_CALLBACK_SECRET,
    auto_process_seconds: float | None = None,
    wechat_push_url: str | None = None,
    wechat_push_token: str = DEFAULT_PUSH_TOKEN,
    wechat_push_aes_key: str = DEFAULT_PUSH_AES_KEY,
    apppush_port: int = 8104,
    apppush_app_key: str = "dev-apppush-key",
    apppush_master_secret: str = "dev-apppush-secret",
    wechatpay_port: int = 8105,
    hallqueue_port: int = 8107,
    hallqueue_api_key: str = "dev-hallqueue-key",
    hallqueue_callback_url: str | None = None,
    hallqueue_callback_secret: str = DEFAULT_HALLQUEUE_SECRET,
    hotline_port: int = 8106,
    hotline_api_key: str = "dev-hotline-key",
    hotline_callback_url: str | None = None,
    hotline_callback_secret: str = DEFAULT_HOTLINE_SECRET,
    hotline_auto_process_seconds: float | None = None,
    postal_port: int = 8108,
    postal_api_key: str = "dev-postal-key",
    postal_callback_secret: str = DEFAULT_POSTAL_SECRET,
    postal_auto_process_seconds: float | None = None,
    ports_file: Path | None = None,
) -> None:
    """Run every stand-in until cancelled, then stop them.

    With ``ports_file``, a port already in use falls back to a free one, and once every
    stand-in listens their ports are written there as JSON (``{"provincial": 8101, ...}``),
    in one rename, so whoever started the sandbox reads where each one really is.

    The OAuth client gets the default loopback redirect URI prefixes (``default_oauth_clients``).
    Case status callbacks go to ``callback_url`` (unless a case names its own), signed with
    ``callback_secret``; ``auto_process_seconds`` turns on the scripted case processor.
    WeChat message-push events go to ``wechat_push_url`` (none when None).
    WeChat Pay keeps its keys in ``data_dir/wechatpay/`` (in memory without ``data_dir``; the
    development merchant's key is then written to a temporary directory).
    The 12345 hotline's ticket events go to ``hotline_callback_url`` (unless a ticket names its
    own), signed with ``hotline_callback_secret``; ``hotline_auto_process_seconds`` turns on its
    scripted processor.
    The postal courier books the shipments of paper results the platform asks for (the
    platform is linked to it); its tracking events go to each shipment's callback URL, signed
    with ``postal_callback_secret``; ``postal_auto_process_seconds`` moves them along.
    """
    running: list[RunningApp] = []
    fallback = ports_file is not None
    try:
        provincial = await start_app(
            build_provincial_app(
                api_key=provincial_api_key,
                data_dir=data_dir,
                oauth_clients=default_oauth_clients(oauth_client_id, oauth_client_secret),
                issuer=oauth_issuer,
                callback_secret=callback_secret,
                callback_url=callback_url,
                auto_process_seconds=auto_process_seconds,
            ),
            host,
            provincial_port,
            any_if_taken=fallback,
        )
        running.append(provincial)
        wechat = await start_app(
            build_wechat_app(
                appid=wechat_appid,
                secret=wechat_secret,
                push_url=wechat_push_url,
                push_token=wechat_push_token,
                push_aes_key=wechat_push_aes_key,
            ),
            host,
            wechat_port,
            any_if_taken=fallback,
        )
        running.append(wechat)
        sms = await start_app(
            build_sms_app(api_key=sms_api_key), host, sms_port, any_if_taken=fallback
        )
        running.append(sms)
        apppush = await start_app(
            build_apppush_app(app_key=apppush_app_key, master_secret=apppush_master_secret),
            host,
            apppush_port,
            any_if_taken=fallback,
        )
        running.append(apppush)
        wechatpay_dir = data_dir / "wechatpay" if data_dir is not None else None
        merchant, merchant_key_path = dev_merchant(
            wechatpay_dir / "merchant"
            if wechatpay_dir is not None
            else Path(tempfile.mkdtemp(prefix="sandbox-wechatpay-")),
            wechat_appid,
        )
        wechatpay = await start_app(
            build_wechatpay_app(
                merchants=[merchant.merchant()],
                keys_dir=wechatpay_dir / "platform" if wechatpay_dir is not None else None,
            ),
            host,
            wechatpay_port,
            any_if_taken=fallback,
        )
        running.append(wechatpay)
        hallqueue = await start_app(
            build_hallqueue_app(
                api_key=hallqueue_api_key,
                callback_url=hallqueue_callback_url,
                callback_secret=hallqueue_callback_secret,
            ),
            host,
            hallqueue_port,
            any_if_taken=fallback,
        )
        running.append(hallqueue)
        hotline = await start_app(
            build_hotline_app(
                api_key=hotline_api_key,
                callback_secret=hotline_callback_secret,
                callback_url=hotline_callback_url,
                auto_process_seconds=hotline_auto_process_seconds,
            ),
            host,
            hotline_port,
            any_if_taken=fallback,
        )
        running.append(hotline)
        postal = await start_app(
            build_postal_app(
                api_key=postal_api_key,
                callback_secret=postal_callback_secret,
                auto_process_seconds=postal_auto_process_seconds,
            ),
            host,
            postal_port,
            any_if_taken=fallback,
        )
        running.append(postal)
        provincial.runner.app[DELIVERIES_KEY].link = CourierLink(
            url=postal.url, api_key=postal_api_key
        )
        log.info("provincial platform stand-in on %s", provincial.url)
        log.info("provincial unified identity (OIDC) on %s/oauth2/", provincial.url)
        log.info(
            "provincial case library on %s/gov/cases/v1/ (callbacks to %s, auto-process %s)",
            provincial.url,
            callback_url or "each case's callbackUrl",
            f"every {auto_process_seconds} s" if auto_process_seconds else "off",
        )
        log.info("WeChat stand-in on %s", wechat.url)
        log.info("WeChat message push to %s", wechat_push_url or "nowhere (no push URL)")
        log.info("SMS gateway stand-in on %s", sms.url)
        log.info(
            "hall calling system stand-in on %s (events to %s)",
            hallqueue.url,
            hallqueue_callback_url or "nowhere (no callback URL)",
        )
        log.info("app push stand-in on %s", apppush.url)
        log.info(
            "WeChat Pay stand-in on %s: merchant %s (appids %s), key %s, serial %s, APIv3 key"
            " in %s; platform keys at %s/_control/keys",
            wechatpay.url,
            merchant.mchid,
            ", ".join(merchant.appids),
            merchant_key_path,
            merchant.serial_no,
            merchant_key_path.parent / "merchant.json",
            wechatpay.url,
        )
        log.info(
            "12345 hotline stand-in on %s (callbacks to %s, auto-process %s)",
            hotline.url,
            hotline_callback_url or "each ticket's callbackUrl",
            f"every {hotline_auto_process_seconds} s" if hotline_auto_process_seconds else "off",
        )
        log.info(
            "postal courier stand-in on %s (auto-process %s)",
            postal.url,
            f"every {postal_auto_process_seconds} s" if postal_auto_process_seconds else "off",
        )
        if ports_file is not None:
            _write_ports(
                ports_file,
                provincial=provincial,
                wechat=wechat,
                sms=sms,
                apppush=apppush,
                wechatpay=wechatpay,
                hallqueue=hallqueue,
                hotline=hotline,
                postal=postal,
            )
        if ready is not None:
            ready.set()
        await asyncio.Event().wait()
    finally:
        for app in reversed(running):
            with contextlib.suppress(Exception):
                await app.close()


def _write_ports(path: Path, **apps: RunningApp) -> None:
    staged = path.with_name(path.name + ".tmp")
    staged.write_text(json.dumps({name: app.port for name, app in apps.items()}))
    os.replace(staged, path)
