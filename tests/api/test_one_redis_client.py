"""One Redis client per API process: the services and Litestar Channels (the live inbox) share it."""

from __future__ import annotations

from litestar.channels import ChannelsPlugin

from api.app import create_app
from api.composition import INFRA_KEY
from core.infra import Infrastructure
from core.settings import Settings


async def test_services_and_live_inbox_share_one_redis_client(settings: Settings) -> None:
    app = create_app(settings, configure_logs=False)
    async with app.lifespan():
        infra: Infrastructure = app.state[INFRA_KEY]
        channels_backend = app.plugins.get(ChannelsPlugin)._backend
        # The backend keeps its client in a private attribute: Litestar offers no accessor.
        assert channels_backend._redis is infra.redis  # type: ignore[attr-defined]
        assert await infra.redis.ping()
