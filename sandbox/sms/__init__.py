"""Stand-in for an SMS gateway (短信平台) as Chinese providers offer them."""

from sandbox.sms.app import build_sms_app

__all__ = ["build_sms_app"]
