"""State of the WeChat stand-in: access tokens (plain and stable), login codes, login sessions,
users' phone numbers and phone codes.

Identities are derived from the login code, so tests need no set-up: ``js_code`` may carry a
user key before a dot (``alice.1``, ``alice.2``): every code with the same key logs in the same
user (same openid and unionid), while each code itself is single-use like a real ``wx.login``
code. A code without a dot is its own user key. Codes minted by the control API
(``mint_login_code``) are ``<user>.<random>`` and also expire 300 s after minting.

Every time comes from a ``Clock`` that the control API can move.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import secrets
from dataclasses import dataclass, field
from typing import Literal

from sandbox.clock import Clock

TOKEN_TTL_SECONDS = 7200
# WeChat keeps the previous access token valid for five minutes after a new one is issued.
TOKEN_OVERLAP_SECONDS = 300
# After a forced refresh of the stable token, the previous one stays valid for 30 seconds.
STABLE_OVERLAP_SECONDS = 30
# wx.login codes and getPhoneNumber codes are valid for five minutes.
CODE_TTL_SECONDS = 300

CODE_PATTERN = re.compile(r"[0-9A-Za-z_\-.]{1,128}")
USER_PATTERN = re.compile(r"[0-9A-Za-z_\-]{1,64}")
MOBILE_PATTERN = re.compile(r"1[3-9][0-9]{9}")

TokenStatus = Literal["valid", "expired", "invalid"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def user_key(js_code: str) -> str:
    return js_code.split(".", 1)[0]


def openid_for(appid: str, js_code: str) -> str:
    """28 characters starting with ``o``, stable per (appid, user key)."""
    return "o" + _b64(hashlib.sha256((appid + user_key(js_code)).encode()).digest())[:27]


def unionid_for(js_code: str) -> str:
    """Stable per user key across appids, as a unionid is per open-platform account."""
    return "o" + _b64(hashlib.sha256(("unionid:" + user_key(js_code)).encode()).digest())[:27]


def valid_code(js_code: str) -> bool:
    return bool(CODE_PATTERN.fullmatch(js_code)) and not js_code.startswith("invalid")


@dataclass
class Session:
    openid: str
    unionid: str
    session_key: str


@dataclass
class PhoneCode:
    phone: str
    expires_at: float
    used: bool = False


@dataclass
class WeChatState:
    appid: str
    secret: str
    clock: Clock = field(default_factory=Clock)
    # token -> expiry; expired tokens are kept so that they answer "expired", not "invalid".
    tokens: dict[str, float] = field(default_factory=dict)
    stable_tokens: dict[str, float] = field(default_factory=dict)
    stable_current: str | None = None
    used_codes: set[str] = field(default_factory=set)
    minted_codes: dict[str, float] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    phones: dict[str, str] = field(default_factory=dict)
    phone_codes: dict[str, PhoneCode] = field(default_factory=dict)

    def reset(self) -> None:
        self.clock.reset()
        self.tokens.clear()
        self.stable_tokens.clear()
        self.stable_current = None
        self.used_codes.clear()
        self.minted_codes.clear()
        self.sessions.clear()
        self.phones.clear()
        self.phone_codes.clear()

    def issue_token(self) -> str:
        """``/cgi-bin/token``: a new token each call; older ones last at most 5 more minutes."""
        now = self.clock.now()
        for token, expiry in self.tokens.items():
            self.tokens[token] = min(expiry, now + TOKEN_OVERLAP_SECONDS)
        token = secrets.token_urlsafe(96)
        self.tokens[token] = now + TOKEN_TTL_SECONDS
        return token

    def stable_token(self, force_refresh: bool) -> tuple[str, int]:
        """``/cgi-bin/stable_token``: (token, seconds left). The same token while it is valid;
        ``force_refresh`` issues a new one and leaves the previous one 30 more seconds."""
        now = self.clock.now()
        current = self.stable_current
        if current is not None and not force_refresh and self.stable_tokens[current] > now:
            return current, math.ceil(self.stable_tokens[current] - now)
        if current is not None:
            self.stable_tokens[current] = min(
                self.stable_tokens[current], now + STABLE_OVERLAP_SECONDS
            )
        token = secrets.token_urlsafe(96)
        self.stable_tokens[token] = now + TOKEN_TTL_SECONDS
        self.stable_current = token
        return token, TOKEN_TTL_SECONDS

    def token_status(self, token: str) -> TokenStatus:
        """Status of a token from either endpoint."""
        expiry = self.tokens.get(token, self.stable_tokens.get(token))
        if expiry is None:
            return "invalid"
        return "valid" if expiry > self.clock.now() else "expired"

    def token_valid(self, token: str) -> bool:
        return self.token_status(token) == "valid"

    def mint_login_code(self, user: str) -> str:
        """A ``wx.login`` code for ``user`` (a user key): single use, valid 300 s."""
        code = f"{user}.{secrets.token_urlsafe(16)}"
        self.minted_codes[code] = self.clock.now() + CODE_TTL_SECONDS
        return code

    def code_expired(self, js_code: str) -> bool:
        expiry = self.minted_codes.get(js_code)
        return expiry is not None and expiry <= self.clock.now()

    def register_phone(self, user: str, phone: str) -> None:
        self.phones[user] = phone

    def mint_phone_code(self, user: str) -> str | None:
        """A getPhoneNumber code for ``user``'s registered phone; None when it has none."""
        phone = self.phones.get(user)
        if phone is None:
            return None
        code = secrets.token_hex(32)
        self.phone_codes[code] = PhoneCode(
            phone=phone, expires_at=self.clock.now() + CODE_TTL_SECONDS
        )
        return code

    def redeem_phone_code(self, code: str) -> str | None:
        """The phone of an unused, unexpired phone code (then used up); None otherwise."""
        entry = self.phone_codes.get(code)
        if entry is None or entry.used or entry.expires_at <= self.clock.now():
            return None
        entry.used = True
        return entry.phone

    def login(self, js_code: str) -> Session | None:
        """Exchange a code for a session; None when the code was already used."""
        if js_code in self.used_codes:
            return None
        self.used_codes.add(js_code)
        session = Session(
            openid=openid_for(self.appid, js_code),
            unionid=unionid_for(js_code),
            session_key=base64.b64encode(secrets.token_bytes(16)).decode(),
        )
        self.sessions[session.openid] = session
        return session
