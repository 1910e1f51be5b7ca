"""What a caller needs to talk to a running WeChat Pay stand-in as one of its merchants."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sandbox.wechatpay.app import STATE_KEY, WeChatPayState
from sandbox.wechatpay.keys import MerchantKey

if TYPE_CHECKING:
    from sandbox.runner import RunningApp


@dataclass(frozen=True)
class MerchantCredentials:
    """A direct merchant's settings, as the merchant platform hands them out."""

    mchid: str
    appid: str  # the mini-program's (JSAPI payments)
    app_appid: str  # the mobile app's (APP payments)
    serial_no: str  # API certificate serial, upper-case hex
    private_key_path: Path  # apiclient_key.pem (PKCS#8)
    private_key_pem: str
    apiv3_key: str  # 32 characters


@dataclass(frozen=True)
class WeChatPayStandIn:
    server: RunningApp
    merchant: MerchantCredentials
    platform_serial: str
    platform_certificate_pem: str
    public_key_id: str
    public_key_pem: str

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def state(self) -> WeChatPayState:
        return self.server.runner.app[STATE_KEY]

    @classmethod
    def create(cls, server: RunningApp, key: MerchantKey, directory: Path) -> WeChatPayStandIn:
        """Describe ``server`` for the merchant ``key`` (appids: mini-program, then app);
        the private key is written to ``directory/apiclient_key.pem``."""
        keys = server.runner.app[STATE_KEY].keys
        return cls(
            server=server,
            merchant=MerchantCredentials(
                mchid=key.mchid,
                appid=key.appids[0],
                app_appid=key.appids[-1],
                serial_no=key.serial_no,
                private_key_path=key.save(directory),
                private_key_pem=key.private_key_pem,
                apiv3_key=key.apiv3_key,
            ),
            platform_serial=keys.platform_serial,
            platform_certificate_pem=keys.certificate_pem,
            public_key_id=keys.public_key_id,
            public_key_pem=keys.public_key_pem,
        )
