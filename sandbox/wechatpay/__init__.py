"""Stand-in for WeChat Pay APIv3 (direct merchants): JSAPI/APP orders, query, close, refunds,
trade bills, platform certificates, and signed, encrypted payment/refund notifications."""

from sandbox.wechatpay.app import build_wechatpay_app
from sandbox.wechatpay.keys import Merchant, MerchantKey, PlatformKeys

__all__ = ["Merchant", "MerchantKey", "PlatformKeys", "build_wechatpay_app"]
