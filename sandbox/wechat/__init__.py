"""Stand-in for the WeChat server APIs (access tokens, mini-program login, phone number)."""

from sandbox.wechat.app import build_wechat_app

__all__ = ["build_wechat_app"]
