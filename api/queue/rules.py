"""The rules of taking a queue number, free of I/O: arrival within the slot, presence at the
hall (distance to its coordinates, or its signed QR code), a ticket's position and estimated
wait from the hall's snapshot, and the order of a ticket's states."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from datetime import datetime, timedelta
from typing import Literal

TicketState = Literal["requested", "waiting", "called", "completed", "skipped"]

# A ticket's state only moves forward: a late or repeated event never moves it back.
RANK: dict[str, int] = {"requested": 0, "waiting": 1, "called": 2, "completed": 3, "skipped": 3}

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
QR_PREFIX = "HQ1"
_QR_CONTEXT = b"handheld hall qr v1:"


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in metres: exact enough at a hall's scale, where the
    phone's own error is tens of metres. GCJ-02 coordinates (what ``wx.getLocation`` answers
    with ``type: 'gcj02'``) on both sides: the hall's are stored as the map shows them."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def within_slot(now: datetime, start: datetime, end: datetime, early_s: int) -> bool:
    """From ``early_s`` before the slot starts until it ends."""
    return start - timedelta(seconds=early_s) <= now <= end


def _qr_mac(secret: str, hall_code: str) -> str:
    mac = hmac.new(secret.encode(), _QR_CONTEXT + hall_code.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()  # 144 bits, 24 characters, no padding


def hall_qr(secret: str, hall_code: str) -> str:
    """The text of the QR code posted at a hall's entrance: its code, signed by us, so a number
    is taken only with a code we printed (a hall code typed in is not enough)."""
    if not secret:
        raise ValueError("no hall QR secret configured")
    return f"{QR_PREFIX}.{hall_code}.{_qr_mac(secret, hall_code)}"


def hall_of_qr(secret: str, text: str) -> str | None:
    """The hall code a QR text names when its signature is ours; None otherwise (also with no
    secret configured: an empty secret is a misconfiguration, never "accept everything")."""
    if not secret:
        return None
    prefix, _, rest = text.partition(".")
    hall_code, _, mac = rest.rpartition(".")
    if prefix != QR_PREFIX or not hall_code or not mac:
        return None
    expected = _qr_mac(secret, hall_code)
    # Bytes: compare_digest raises on str with non-ASCII characters.
    if not hmac.compare_digest(expected.encode(), mac.encode("utf-8", "replace")):
        return None
    return hall_code


def position(seq: int, served_through: int) -> int:
    """Waiting numbers ahead of ``seq``: the calling system calls one first-come queue per
    hall, so every number up to ``served_through`` has been called and every later one waits."""
    return max(0, seq - served_through - 1)


def estimated_wait_s(ahead: int, open_windows: int, avg_service_s: int) -> int:
    """The numbers ahead and this one, served by the open windows at the hall's average pace."""
    return round((ahead + 1) * avg_service_s / max(1, open_windows))


def moves_forward(current: str, target: str) -> bool:
    return RANK[target] > RANK[current]
