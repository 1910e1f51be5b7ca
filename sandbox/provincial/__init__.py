"""Stand-in for the provincial integrated online government service platform (事项库 API)."""

from sandbox.provincial.app import build_provincial_app

__all__ = ["build_provincial_app"]
