"""The courier's tracking callbacks as they arrive: the signature on the raw body checked, the
event decoded (the controller calls this before the service stores the event)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import msgspec

from api.delivery import errors
from api.delivery.service import TrackingEvent
from core.webhooks import SignatureInvalid, verify_hmac_signature

log = logging.getLogger(__name__)


def verified_event(
    secret: str, headers: Mapping[str, str], body: bytes
) -> tuple[TrackingEvent, dict[str, Any]]:
    """The event and its body as stored, or ``CallbackRejected`` (forged, stale, malformed)."""
    try:
        verify_hmac_signature(
            secret=secret,
            timestamp=headers.get("x-postal-timestamp"),
            body=body,
            signature=headers.get("x-postal-signature"),
        )
    except SignatureInvalid as exc:
        log.warning("postal callback rejected", extra={"reason": str(exc)})
        raise errors.CallbackRejected() from exc
    try:
        event = msgspec.json.decode(body, type=TrackingEvent)
        stored = msgspec.json.decode(body, type=dict[str, Any])
    except msgspec.DecodeError as exc:
        raise errors.CallbackRejected("malformed event") from exc
    if event.sequence < 1:
        raise errors.CallbackRejected("malformed event")
    return event, stored
