"""Stand-in for the WeChat server APIs (access token, mini-program login)."""

from sandbox.wechat.app import build_wechat_app

__all__ = ["build_wechat_app"]
