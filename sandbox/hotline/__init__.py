"""Stand-in for the 12345 government service hotline platform (12345政务服务便民热线)."""

from sandbox.hotline.app import build_hotline_app, reset_hotline

__all__ = ["build_hotline_app", "reset_hotline"]
