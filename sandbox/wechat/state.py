"""State of the WeChat stand-in: issued access tokens, used login codes, login sessions.

Identities are derived from the login code, so tests need no set-up: ``js_code`` may carry a
user key before a dot (``alice.1``, ``alice.2``): every code with the same key logs in the same
user (same openid and unionid), while each code itself is single-use like a real ``wx.login``
code. A code without a dot is its own user key.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from dataclasses import dataclass, field

TOKEN_TTL_SECONDS = 7200
# WeChat keeps the previous access token valid for five minutes after a new one is issued.
TOKEN_OVERLAP_SECONDS = 300

CODE_PATTERN = re.compile(r"[0-9A-Za-z_\-.]{1,128}")


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
class WeChatState:
    appid: str
    secret: str
    tokens: dict[str, float] = field(default_factory=dict)
    used_codes: set[str] = field(default_factory=set)
    sessions: dict[str, Session] = field(default_factory=dict)

    def reset(self) -> None:
        self.tokens.clear()
        self.used_codes.clear()
        self.sessions.clear()

    def issue_token(self) -> str:
        now = time.monotonic()
        for token, expiry in list(self.tokens.items()):
            if expiry <= now:
                del self.tokens[token]
            else:
                self.tokens[token] = min(expiry, now + TOKEN_OVERLAP_SECONDS)
        token = secrets.token_urlsafe(96)
        self.tokens[token] = now + TOKEN_TTL_SECONDS
        return token

    def token_valid(self, token: str) -> bool:
        expiry = self.tokens.get(token)
        return expiry is not None and expiry > time.monotonic()

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
