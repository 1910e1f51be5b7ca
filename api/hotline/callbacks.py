"""12345's ticket callbacks as they arrive: the signature on the raw body checked, the event
decoded (the controller calls this before the service stores the event)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.hotline import errors
from core.clients.hotline import HotlineEvent
from core.webhooks import EventMalformed, SignatureInvalid, signed_event


def verified_event(
    secret: str, headers: Mapping[str, str], body: bytes
) -> tuple[HotlineEvent, dict[str, Any]]:
    """The event and its body as stored, or ``CallbackRejected`` (forged, stale, malformed)."""
    try:
        return signed_event(secret, headers, body, prefix="x-12345", event_type=HotlineEvent)
    except SignatureInvalid as exc:
        raise errors.CallbackRejected() from exc
    except EventMalformed as exc:
        raise errors.CallbackRejected("malformed event") from exc
