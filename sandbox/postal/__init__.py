"""Stand-in for the postal express service (邮政速递, EMS-style) that delivers paper results."""

from sandbox.postal.app import build_postal_app, reset_postal

__all__ = ["build_postal_app", "reset_postal"]
