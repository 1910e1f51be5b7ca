"""Stand-in for the WeChat server APIs (access tokens, mini-program login, phone number,
subscribe messages) and WeChat's message push (消息推送) to the mini-program's server."""

from sandbox.wechat.app import build_wechat_app

__all__ = ["build_wechat_app"]
