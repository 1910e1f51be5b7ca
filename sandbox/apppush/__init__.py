"""Stand-in for an app push aggregator (JPush-like REST API v3)."""

from sandbox.apppush.app import build_apppush_app

__all__ = ["build_apppush_app"]
