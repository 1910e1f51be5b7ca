"""The API with the `citizen` dependency fixed to one principal: the baseline of bench/auth.py.

python -m bench.unauthenticated PORT CITIZEN_ID
"""

from __future__ import annotations

import sys
import uuid

from litestar.di import Provide

from api.app import asgi_app, create_app
from api.cli import run_server
from core.principals import CitizenPrincipal
from core.settings import load_settings


def main(port: int, citizen_id: str) -> None:
    principal = CitizenPrincipal(uuid.UUID(citizen_id), str(uuid.uuid4()), 0, "sms")

    def fixed() -> CitizenPrincipal:
        return principal

    settings = load_settings()
    app = create_app(
        settings, dependency_overrides={"citizen": Provide(fixed, sync_to_thread=False)}
    )
    run_server(asgi_app(app), "127.0.0.1", port)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
