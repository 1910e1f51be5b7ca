"""The API with the `citizen` dependency fixed to one principal: the baseline of bench/auth.py.

python -m bench.unauthenticated PORT CITIZEN_ID [ACTOR_ID MANDATE_ID]

With ACTOR_ID and MANDATE_ID the principal is that person acting for CITIZEN_ID (a company),
as the acting-as check would make it (docs/acting-as.md).
"""

from __future__ import annotations

import sys
import uuid

from litestar.di import Provide

from api.app import asgi_app, create_app
from api.cli import run_server
from core.principals import CitizenPrincipal
from core.settings import load_settings


def main(
    port: int, citizen_id: str, actor_id: str | None = None, mandate_id: str | None = None
) -> None:
    principal = CitizenPrincipal(uuid.UUID(citizen_id), str(uuid.uuid4()), 0, "sms")
    if actor_id is not None and mandate_id is not None:
        principal = CitizenPrincipal(
            uuid.UUID(citizen_id),
            principal.family_id,
            0,
            "sms",
            actor_id=uuid.UUID(actor_id),
            mandate_id=uuid.UUID(mandate_id),
            party_kind="legal",
        )

    def fixed() -> CitizenPrincipal:
        return principal

    settings = load_settings()
    app = create_app(
        settings, dependency_overrides={"citizen": Provide(fixed, sync_to_thread=False)}
    )
    run_server(asgi_app(app), "127.0.0.1", port)


if __name__ == "__main__":
    main(int(sys.argv[1]), *sys.argv[2:5])
