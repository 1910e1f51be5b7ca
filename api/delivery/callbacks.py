"""The courier's tracking callbacks as they arrive: the signature on the raw body checked, the
event decoded (the controller calls this before the service stores the event)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.delivery import errors
from api.delivery.service import TrackingEvent
from core.webhooks import EventMalformed, SignatureInvalid, signed_event


def verified_event(
    secret: str, headers: Mapping[str, str], body: bytes
) -> tuple[TrackingEvent, dict[str, Any]]:
    """The event and its body as stored, or ``CallbackRejected`` (forged, stale, malformed)."""
    try:
        return signed_event(secret, headers, body, prefix="x-postal", event_type=TrackingEvent)
    except SignatureInvalid as exc:
        raise errors.CallbackRejected() from exc
    except EventMalformed as exc:
        raise errors.CallbackRejected("malformed event") from exc
