"""Keys of the WeChat Pay stand-in and of the merchants that call it.

WeChat Pay signs its answers and notifications either with a *platform certificate* key (the
``Wechatpay-Serial`` header is then the certificate's serial number in upper-case hex, and
merchants download the certificate from ``/v3/certificates``) or with the newer *WeChat Pay
public key* (the header is the key's id, ``PUB_KEY_ID_…``, and merchants copy the public key
from the merchant platform). The stand-in has both and a switch between them.

Files in ``keys_dir`` (generated on first start, reused afterwards): the stand-in's private
keys ``platform_private_key.pem`` and ``pub_key_private_key.pem``, and what a merchant gets
from WeChat Pay: ``platform_cert.pem`` (the platform certificate), ``pub_key.pem`` (the WeChat
Pay public key) and ``pub_key_id.txt`` (its id).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from sandbox.wechatpay.crypto import (
    SIGNATURE_TYPE,
    generate_rsa_key,
    load_private_key,
    load_public_key,
    nonce,
    private_pem,
    public_pem,
    response_message,
    rsa_sign,
    tamper_signature,
)

CERT_VALID_DAYS = 5 * 365


def _write_private(path: Path, text: str) -> None:
    path.write_text(text)
    os.chmod(path, 0o600)


def _certificate_serial() -> int:
    """40 hex digits, like WeChat Pay's certificate serials (first digit 1..7: an X.509 serial
    has at most 159 bits)."""
    return secrets.randbelow(7 * 16**39) + 16**39


def self_signed_certificate(key: rsa.RSAPrivateKey, serial: int) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tenpay.com (sandbox)"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Tenpay.com CA Center"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com sign"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=CERT_VALID_DAYS))
        .sign(key, hashes.SHA256())
    )


@dataclass
class PlatformKeys:
    """The two signing identities of the stand-in."""

    platform_key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    public_key_key: rsa.RSAPrivateKey
    public_key_id: str

    @property
    def platform_serial(self) -> str:
        return format(self.certificate.serial_number, "X")

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def public_key_pem(self) -> str:
        return public_pem(self.public_key_key.public_key())

    @classmethod
    def generate(cls) -> PlatformKeys:
        platform_key = generate_rsa_key()
        return cls(
            platform_key=platform_key,
            certificate=self_signed_certificate(platform_key, _certificate_serial()),
            public_key_key=generate_rsa_key(),
            public_key_id="PUB_KEY_ID_01" + "".join(str(secrets.randbelow(10)) for _ in range(27)),
        )

    @classmethod
    def load_or_generate(cls, keys_dir: Path | None) -> PlatformKeys:
        """Keys from ``keys_dir``, generated there on first use; in memory when None."""
        if keys_dir is None:
            return cls.generate()
        files = {
            "platform_key": keys_dir / "platform_private_key.pem",
            "certificate": keys_dir / "platform_cert.pem",
            "public_key_key": keys_dir / "pub_key_private_key.pem",
            "public_key_id": keys_dir / "pub_key_id.txt",
        }
        if all(path.exists() for path in files.values()):
            return cls(
                platform_key=load_private_key(files["platform_key"].read_bytes()),
                certificate=x509.load_pem_x509_certificate(files["certificate"].read_bytes()),
                public_key_key=load_private_key(files["public_key_key"].read_bytes()),
                public_key_id=files["public_key_id"].read_text().strip(),
            )
        keys = cls.generate()
        keys_dir.mkdir(parents=True, exist_ok=True)
        _write_private(files["platform_key"], private_pem(keys.platform_key))
        files["certificate"].write_text(keys.certificate_pem)
        _write_private(files["public_key_key"], private_pem(keys.public_key_key))
        files["public_key_id"].write_text(keys.public_key_id + "\n")
        (keys_dir / "pub_key.pem").write_text(keys.public_key_pem)
        return keys


@dataclass(frozen=True)
class Merchant:
    """A merchant known to the stand-in: what WeChat Pay holds about a direct merchant."""

    mchid: str
    appids: tuple[str, ...]
    serial_no: str
    public_key_pem: str
    apiv3_key: str

    def __post_init__(self) -> None:
        if not self.mchid.isdigit() or not 1 <= len(self.mchid) <= 32:
            raise ValueError("mchid: 1..32 digits")
        if not self.appids:
            raise ValueError("a merchant needs at least one appid")
        if len(self.apiv3_key.encode()) != 32 or not self.apiv3_key.isascii():
            raise ValueError("apiv3_key: 32 ASCII characters")
        if not self.serial_no:
            raise ValueError("serial_no must not be empty")
        load_public_key(self.public_key_pem)  # raises ValueError when it is not an RSA key


@dataclass(frozen=True)
class MerchantKey:
    """A merchant's own side: API certificate key pair, its serial number and APIv3 key.

    The stand-in only ever needs ``merchant()`` (the public half); the private key is for the
    caller (a test, or the product in development).
    """

    mchid: str
    appids: tuple[str, ...]
    serial_no: str
    private_key_pem: str
    apiv3_key: str

    @classmethod
    def generate(
        cls, mchid: str, appids: tuple[str, ...], apiv3_key: str | None = None
    ) -> MerchantKey:
        return cls(
            mchid=mchid,
            appids=appids,
            serial_no=format(_certificate_serial(), "X"),
            private_key_pem=private_pem(generate_rsa_key()),
            apiv3_key=apiv3_key or secrets.token_hex(16),
        )

    @property
    def public_key_pem(self) -> str:
        return public_pem(load_private_key(self.private_key_pem).public_key())

    def merchant(self) -> Merchant:
        return Merchant(
            mchid=self.mchid,
            appids=self.appids,
            serial_no=self.serial_no,
            public_key_pem=self.public_key_pem,
            apiv3_key=self.apiv3_key,
        )

    def save(self, directory: Path) -> Path:
        """Write ``apiclient_key.pem`` and ``merchant.json``; returns the key's path."""
        directory.mkdir(parents=True, exist_ok=True)
        key_path = directory / "apiclient_key.pem"
        _write_private(key_path, self.private_key_pem)
        info = {
            "mchid": self.mchid,
            "appids": list(self.appids),
            "serialNo": self.serial_no,
            "apiv3Key": self.apiv3_key,
        }
        _write_private(directory / "merchant.json", json.dumps(info, indent=2) + "\n")
        return key_path

    @classmethod
    def load_or_generate(cls, directory: Path, mchid: str, appids: tuple[str, ...]) -> MerchantKey:
        """The merchant saved in ``directory``, or a new one saved there."""
        key_path, info_path = directory / "apiclient_key.pem", directory / "merchant.json"
        if key_path.exists() and info_path.exists():
            info = json.loads(info_path.read_text())
            if info.get("mchid") == mchid and tuple(info.get("appids", ())) == appids:
                return cls(
                    mchid=mchid,
                    appids=appids,
                    serial_no=info["serialNo"],
                    private_key_pem=key_path.read_text(),
                    apiv3_key=info["apiv3Key"],
                )
        key = cls.generate(mchid, appids)
        key.save(directory)
        return key


SigningMode = Literal["public_key", "platform_certificate"]
SIGNING_MODES: tuple[SigningMode, ...] = ("public_key", "platform_certificate")


@dataclass
class Signer:
    """Signs answers and notifications with the key of the current mode.

    Timestamps are the real wall time, not the movable business clock: clients compare them
    with their own clock (WeChat Pay allows five minutes either way).
    """

    keys: PlatformKeys
    mode: SigningMode = "public_key"

    @property
    def serial(self) -> str:
        if self.mode == "public_key":
            return self.keys.public_key_id
        return self.keys.platform_serial

    def headers(self, body: str, *, tampered: bool = False) -> dict[str, str]:
        key = self.keys.public_key_key if self.mode == "public_key" else self.keys.platform_key
        timestamp, nonce_str = str(int(time.time())), nonce()
        signature = rsa_sign(key, response_message(timestamp, nonce_str, body))
        if tampered:
            signature = tamper_signature(signature)
        return {
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce_str,
            "Wechatpay-Signature": signature,
            "Wechatpay-Serial": self.serial,
            "Wechatpay-Signature-Type": SIGNATURE_TYPE,
        }


DEV_MCHID = "1900000109"
DEV_APP_APPID = "wx8888888888888888"


def dev_merchant(directory: Path, mini_program_appid: str) -> tuple[MerchantKey, Path]:
    """The development merchant (``DEV_MCHID``; appids: the mini-program's, then
    ``DEV_APP_APPID``), kept in ``directory``; returns it and its private key's path."""
    key = MerchantKey.load_or_generate(directory, DEV_MCHID, (mini_program_appid, DEV_APP_APPID))
    return key, directory / "apiclient_key.pem"
