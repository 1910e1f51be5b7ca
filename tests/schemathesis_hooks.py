"""schemathesis hooks for tests/test_schemathesis.py (loaded through ``SCHEMATHESIS_HOOKS``).

An ``Idempotency-Key`` is chosen by the client, once per intended request: sent again with
another body it is refused (422 ``IDEMPOTENCY_KEY_REUSED``, as the IETF Idempotency-Key draft
says), which no schema can express. schemathesis draws keys from a small space and repeats them
across unrelated requests, so every schema-valid key is replaced by a fresh one; invalid ones
(too short or too long) are left for the negative tests."""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis

HEADER = "Idempotency-Key"


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    headers = case.headers
    if not headers:
        return
    for name in list(headers):
        value = headers[name]
        if name.lower() == HEADER.lower() and isinstance(value, str) and 8 <= len(value) <= 128:
            headers[name] = str(uuid.uuid4())
