"""The platform's status callbacks as they arrive: the signature on the raw body checked, the
event decoded (the controller calls this before the service stores the event)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.declarations import errors
from api.declarations.schemas import PlatformEvent
from core.webhooks import EventMalformed, SignatureInvalid, signed_event


def verified_event(
    secret: str, headers: Mapping[str, str], body: bytes
) -> tuple[PlatformEvent, dict[str, Any]]:
    """The event and its body as stored, or ``CallbackRejected`` (forged, stale, malformed)."""
    try:
        return signed_event(secret, headers, body, prefix="x-gov", event_type=PlatformEvent)
    except SignatureInvalid as exc:
        raise errors.CallbackRejected() from exc
    except EventMalformed as exc:
        raise errors.CallbackRejected("malformed event") from exc
