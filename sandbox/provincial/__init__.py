"""Stand-in for the provincial integrated online government service platform: service item
catalogue (事项库 API) and unified identity (统一身份认证, OAuth 2.0 / OpenID Connect)."""

from sandbox.provincial.app import build_provincial_app
from sandbox.provincial.identity import OAuthClient, default_oauth_clients

__all__ = ["OAuthClient", "build_provincial_app", "default_oauth_clients"]
