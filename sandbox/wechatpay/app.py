"""aiohttp application of the WeChat Pay APIv3 stand-in (direct merchants).

Every ``/v3/`` request must carry a valid ``WECHATPAY2-SHA256-RSA2048`` Authorization (signed
with the key of the merchant's registered API certificate serial, timestamp within five
minutes), otherwise ``401 {"code": "SIGN_ERROR", …}``. Every answer to an authenticated request
is signed (``Wechatpay-Timestamp/-Nonce/-Signature/-Serial/-Signature-Type``) except the bill
file download, which WeChat Pay leaves unsigned (the file is checked against ``hash_value``).
Errors use WeChat Pay's statuses and ``{"code", "message"[, "detail"]}`` bodies. The control
API (``/_control/``) is ours: JSON, camelCase, ``{"code", "message"}`` errors.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import gzip
import hashlib
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler

from sandbox.clock import Clock, add_clock_routes
from sandbox.http import error_response, healthz, json_response
from sandbox.wechatpay.bill import BILL_TYPES, BillFault, trade_bill
from sandbox.wechatpay.crypto import (
    aes_gcm_encrypt,
    load_public_key,
    parse_authorization,
    request_message,
    rsa_verify,
)
from sandbox.wechatpay.keys import SIGNING_MODES, Merchant, PlatformKeys, Signer, SigningMode
from sandbox.wechatpay.notify import Notifier, NotifyFault
from sandbox.wechatpay.state import (
    PREPAY_TTL_SECONDS,
    Book,
    Refund,
    TradeType,
    Transaction,
    beijing,
    new_prepay_id,
    new_refund_id,
    new_transaction_id,
    rfc3339,
)

# How far a request's timestamp may be from the stand-in's (real) clock.
TIMESTAMP_WINDOW_SECONDS = 300
# A bill's download_url stays valid this long (business clock).
BILL_URL_TTL_SECONDS = 300
# Bills are kept for three months.
BILL_HISTORY_DAYS = 92
# Seconds a refund stays PROCESSING before it succeeds (times notify_time_scale).
DEFAULT_REFUND_SECONDS = 60.0

OUT_TRADE_NO = re.compile(r"[0-9A-Za-z_\-*|]{6,32}")
OUT_REFUND_NO = re.compile(r"[0-9A-Za-z_\-*|@]{1,64}")
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?([+-]\d{2}:\d{2}|Z)")
BILL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class BillFile:
    mchid: str
    payload: bytes
    expires_at: float


@dataclass
class WeChatPayState:
    keys: PlatformKeys
    signer: Signer
    book: Book
    notifier: Notifier
    clock: Clock
    initial_merchants: list[Merchant]
    initial_mode: SigningMode
    refund_seconds: float | None
    time_scale: float
    bill_faults: list[BillFault] = field(default_factory=list)
    bill_files: dict[str, BillFile] = field(default_factory=dict)

    def reset(self) -> None:
        self.clock.reset()
        self.book.reset(self.initial_merchants)
        self.notifier.reset()
        self.signer.mode = self.initial_mode
        self.bill_faults.clear()
        self.bill_files.clear()


STATE_KEY = web.AppKey("wechatpay_state", WeChatPayState)
MERCHANT_KEY = web.RequestKey("wechatpay_merchant", Merchant)
UNSIGNED_KEY = web.ResponseKey("wechatpay_unsigned", bool)


class WxError(Exception):
    """An error answer in WeChat Pay's shape."""

    def __init__(
        self, status: int, code: str, message: str, detail: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.detail = status, code, message, detail

    def response(self) -> web.Response:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail is not None:
            body["detail"] = self.detail
        return json_response(body, self.status)


def param_error(path: str, label: str, issue: str, value: Any = None) -> WxError:
    location = "query" if path.startswith("?") else "body"
    field_path = path.lstrip("?")
    return WxError(
        400,
        "PARAM_ERROR",
        f"输入源“/{location}/{field_path}”映射到字段“{label}”校验失败：{issue}",
        {"location": location, "field": "/" + field_path, "value": value, "issue": issue},
    )


# -- authentication and signing -------------------------------------------------------------


def sign_error(message: str) -> WxError:
    return WxError(401, "SIGN_ERROR", message)


def _authenticate(state: WeChatPayState, request: web.Request, body: str) -> Merchant:
    auth = parse_authorization(request.headers.get("Authorization"))
    if auth is None:
        raise sign_error("Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》")
    merchant = state.book.merchants.get(auth.mchid)
    if merchant is None:
        raise sign_error(f"商户号{auth.mchid}不存在或未开通APIv3")
    if auth.serial_no.upper() != merchant.serial_no.upper():
        raise sign_error("商户证书序列号有误。请使用签名私钥匹配的证书序列号")
    try:
        timestamp = int(auth.timestamp)
    except ValueError:
        raise sign_error("Http头Authorization中的timestamp格式错误") from None
    if abs(time.time() - timestamp) > TIMESTAMP_WINDOW_SECONDS:
        raise sign_error("请求的时间戳与当前时间相差超过5分钟，请检查系统时间")
    message = request_message(
        request.method, request.raw_path, auth.timestamp, auth.nonce_str, body
    )
    if not rsa_verify(load_public_key(merchant.public_key_pem), message, auth.signature):
        raise sign_error("签名错误，请检查后再试")
    return merchant


@web.middleware
async def wechatpay_api(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate ``/v3/`` requests, render WxError, sign the answers."""
    if not request.path.startswith("/v3/"):
        return await handler(request)
    state = request.app[STATE_KEY]
    request_id = uuid.uuid4().hex.upper() + "-0"
    merchant: Merchant | None = None
    try:
        try:
            raw = (await request.read()).decode()
        except UnicodeDecodeError:
            raise WxError(400, "INVALID_REQUEST", "请求体不是合法的UTF-8编码") from None
        merchant = _authenticate(state, request, raw)
        request[MERCHANT_KEY] = merchant
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            raise WxError(404, "NOT_FOUND", "请求的资源不存在") from None
        except web.HTTPMethodNotAllowed:
            raise WxError(405, "METHOD_NOT_ALLOWED", "请求方法不被允许") from None
    except WxError as error:
        response = error.response()
    response.headers["Request-ID"] = request_id
    if (
        merchant is not None
        and isinstance(response, web.Response)
        and not response.get(UNSIGNED_KEY)
    ):
        body = response.body
        text = body.decode() if isinstance(body, bytes) else ""
        response.headers.update(state.signer.headers(text))
    return response


def _merchant(request: web.Request) -> Merchant:
    return request[MERCHANT_KEY]


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = msgspec.json.decode(await request.read())
    except msgspec.DecodeError:
        raise WxError(400, "PARAM_ERROR", "请求体不是合法的JSON") from None
    if not isinstance(body, dict):
        raise WxError(400, "PARAM_ERROR", "请求体必须是JSON对象")
    return body


# -- field checks --------------------------------------------------------------------------------


def _string(
    body: dict[str, Any],
    path: str,
    label: str,
    *,
    required: bool = True,
    max_chars: int | None = None,
    pattern: re.Pattern[str] | None = None,
) -> str | None:
    value = body.get(path.rsplit("/", 1)[-1])
    if value is None:
        if required:
            raise param_error(path, label, "必填参数缺失")
        return None
    if not isinstance(value, str):
        raise param_error(path, label, "类型错误，应为字符串", value)
    if required and not value:
        raise param_error(path, label, "不能为空", value)
    if max_chars is not None and len(value) > max_chars:
        raise param_error(path, label, f"长度超过{max_chars}", value)
    if pattern is not None and not pattern.fullmatch(value):
        raise param_error(path, label, "格式不正确", value)
    return value


def _required(
    body: dict[str, Any],
    path: str,
    label: str,
    *,
    max_chars: int | None = None,
    pattern: re.Pattern[str] | None = None,
) -> str:
    value = _string(body, path, label, max_chars=max_chars, pattern=pattern)
    assert value is not None
    return value


def _object(body: dict[str, Any], path: str, label: str, *, required: bool) -> dict[str, Any]:
    value = body.get(path.rsplit("/", 1)[-1])
    if value is None:
        if required:
            raise param_error(path, label, "必填参数缺失")
        return {}
    if not isinstance(value, dict):
        raise param_error(path, label, "类型错误，应为对象", value)
    return value


def _fen(body: dict[str, Any], path: str, label: str) -> int:
    value = body.get(path.rsplit("/", 1)[-1])
    if value is None:
        raise param_error(path, label, "必填参数缺失")
    if isinstance(value, bool) or not isinstance(value, int):
        raise param_error(path, label, "类型错误，应为整数（单位：分）", value)
    if value <= 0:
        raise param_error(path, label, "必须大于0", value)
    return value


def _currency(body: dict[str, Any], path: str, *, required: bool) -> str:
    value = _string(body, path, "货币类型", required=required)
    if value is not None and value != "CNY":
        raise param_error(path, "货币类型", "境内商户仅支持人民币CNY", value)
    return "CNY"


def parse_rfc3339(value: str) -> float | None:
    if not RFC3339.fullmatch(value):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _notify_url(body: dict[str, Any], path: str, *, required: bool) -> str | None:
    url = _string(body, path, "通知地址", required=required, max_chars=255)
    if url is None:
        return None
    if not url.startswith(("https://", "http://")):
        raise param_error(path, "通知地址", "必须是可直接访问的URL", url)
    if "?" in url:
        raise param_error(path, "通知地址", "不允许携带查询串", url)
    return url


def _check_mchid(merchant: Merchant, value: str | None, path: str) -> None:
    if value is None:
        raise param_error(path, "直连商户号", "必填参数缺失")
    if value != merchant.mchid:
        raise WxError(400, "PARAM_ERROR", "请求中的商户号与请求方商户号（Authorization）不一致")


# -- transactions --------------------------------------------------------------------------------


def _prepay(trade_type: TradeType) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        state, merchant = request.app[STATE_KEY], _merchant(request)
        body = await _body(request)
        appid = _required(body, "appid", "应用ID", max_chars=32)
        _check_mchid(merchant, _string(body, "mchid", "直连商户号"), "mchid")
        description = _required(body, "description", "商品描述", max_chars=127)
        out_trade_no = _required(body, "out_trade_no", "商户订单号", pattern=OUT_TRADE_NO)
        notify_url = _notify_url(body, "notify_url", required=True)
        attach = _string(body, "attach", "附加数据", required=False, max_chars=128)
        time_expire = None
        expire_text = _string(body, "time_expire", "支付结束时间", required=False)
        if expire_text is not None:
            time_expire = parse_rfc3339(expire_text)
            if time_expire is None:
                raise param_error(
                    "time_expire", "支付结束时间", "应为RFC 3339格式，如2018-06-08T10:34:56+08:00"
                )
            if time_expire <= state.clock.now():
                raise param_error("time_expire", "支付结束时间", "不能早于当前时间", expire_text)
        amount = _object(body, "amount", "订单金额", required=True)
        total = _fen(amount, "amount/total", "总金额")
        currency = _currency(amount, "amount/currency", required=False)
        payer = _object(body, "payer", "支付者", required=trade_type == "JSAPI")
        openid = None
        if trade_type == "JSAPI":
            openid = _required(payer, "payer/openid", "用户标识", max_chars=128)
        if appid not in merchant.appids:
            raise WxError(400, "APPID_MCHID_NOT_MATCH", "AppID和mch_id不匹配")

        fingerprint = {"trade_type": trade_type, **body}
        now = state.clock.now()
        trade = state.book.transaction(merchant.mchid, out_trade_no)
        if trade is not None:
            if trade.state in ("SUCCESS", "REFUND"):
                raise WxError(400, "ORDERPAID", "该订单已支付")
            if trade.state == "CLOSED":
                raise WxError(400, "ORDER_CLOSED", "订单已关闭")
            if trade.request != fingerprint:
                raise WxError(403, "OUT_TRADE_NO_USED", "商户订单号重复")
            if trade.prepay_id is None or now - trade.prepay_at >= PREPAY_TTL_SECONDS:
                trade.prepay_id, trade.prepay_at = new_prepay_id(now), now
            return json_response({"prepay_id": trade.prepay_id})
        trade = Transaction(
            mchid=merchant.mchid,
            appid=appid,
            out_trade_no=out_trade_no,
            trade_type=trade_type,
            description=description,
            notify_url=notify_url,
            total=total,
            currency=currency,
            openid=openid,
            attach=attach,
            time_expire=time_expire,
            request=fingerprint,
            prepay_id=new_prepay_id(now),
            prepay_at=now,
            created_at=now,
        )
        state.book.add(trade)
        return json_response({"prepay_id": trade.prepay_id})

    return handler


def _query_mchid(request: web.Request) -> None:
    merchant = _merchant(request)
    value = request.query.get("mchid")
    if not value:
        raise param_error("?mchid", "直连商户号", "必填参数缺失")
    if value != merchant.mchid:
        raise WxError(400, "PARAM_ERROR", "请求中的商户号与请求方商户号（Authorization）不一致")


def _order_not_exist() -> WxError:
    return WxError(404, "ORDER_NOT_EXIST", "订单不存在")


async def query_by_out_trade_no(request: web.Request) -> web.StreamResponse:
    _query_mchid(request)
    state, merchant = request.app[STATE_KEY], _merchant(request)
    trade = state.book.transaction(merchant.mchid, request.match_info["out_trade_no"])
    if trade is None:
        raise _order_not_exist()
    return json_response(trade.describe())


async def query_by_transaction_id(request: web.Request) -> web.StreamResponse:
    _query_mchid(request)
    state, merchant = request.app[STATE_KEY], _merchant(request)
    trade = state.book.by_id(merchant.mchid, request.match_info["transaction_id"])
    if trade is None:
        raise _order_not_exist()
    return json_response(trade.describe())


async def close_order(request: web.Request) -> web.StreamResponse:
    state, merchant = request.app[STATE_KEY], _merchant(request)
    body = await _body(request)
    _check_mchid(merchant, _string(body, "mchid", "直连商户号"), "mchid")
    trade = state.book.transaction(merchant.mchid, request.match_info["out_trade_no"])
    if trade is None:
        raise _order_not_exist()
    if trade.state in ("SUCCESS", "REFUND"):
        raise WxError(400, "ORDERPAID", "订单已支付，不能关闭")
    trade.state = "CLOSED"
    return web.Response(status=204)


# -- refunds -------------------------------------------------------------------------------------


def _refund_event(refund: Refund) -> tuple[str, str]:
    return {
        "SUCCESS": ("REFUND.SUCCESS", "退款成功"),
        "ABNORMAL": ("REFUND.ABNORMAL", "退款异常"),
        "CLOSED": ("REFUND.CLOSED", "退款关闭"),
    }[refund.status]


def settle_refund(state: WeChatPayState, refund: Refund, status: str) -> None:
    """Move a PROCESSING refund to its final status and notify the merchant."""
    if refund.status != "PROCESSING":
        return
    if status == "SUCCESS":
        refund.status, refund.success_time = "SUCCESS", state.clock.now()
    elif status == "ABNORMAL":
        refund.status = "ABNORMAL"
    else:
        refund.status = "CLOSED"
    if refund.notify_url is None:
        return
    event_type, summary = _refund_event(refund)
    state.notifier.send(
        state.book.merchants[refund.mchid],
        refund.notify_url,
        event_type=event_type,
        summary=summary,
        original_type="refund",
        resource=refund.notification_resource(),
        out_trade_no=refund.transaction.out_trade_no,
        out_refund_no=refund.out_refund_no,
    )


async def _settle_later(state: WeChatPayState, refund: Refund, delay: float) -> None:
    await asyncio.sleep(delay)
    settle_refund(state, refund, "SUCCESS")


async def create_refund(request: web.Request) -> web.StreamResponse:
    state, merchant = request.app[STATE_KEY], _merchant(request)
    body = await _body(request)
    transaction_id = _string(body, "transaction_id", "微信支付订单号", required=False)
    out_trade_no = _string(body, "out_trade_no", "商户订单号", required=False)
    if transaction_id is None and out_trade_no is None:
        raise param_error(
            "transaction_id", "微信支付订单号", "transaction_id和out_trade_no必须二选一"
        )
    out_refund_no = _required(body, "out_refund_no", "商户退款单号", pattern=OUT_REFUND_NO)
    reason = _string(body, "reason", "退款原因", required=False, max_chars=80)
    notify_url = _notify_url(body, "notify_url", required=False)
    amount = _object(body, "amount", "金额信息", required=True)
    refund_fen = _fen(amount, "amount/refund", "退款金额")
    total_fen = _fen(amount, "amount/total", "原订单金额")
    _currency(amount, "amount/currency", required=True)

    book = state.book
    trade = (
        book.by_id(merchant.mchid, transaction_id)
        if transaction_id is not None
        else book.transaction(merchant.mchid, out_trade_no or "")
    )
    if trade is None:
        raise WxError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
    existing = book.refunds.get((merchant.mchid, out_refund_no))
    if existing is not None:
        if existing.transaction is not trade or existing.refund != refund_fen:
            raise WxError(
                400, "INVALID_REQUEST", "同一商户退款单号的订单或退款金额与之前的请求不一致"
            )
        return json_response(existing.describe())
    if trade.state not in ("SUCCESS", "REFUND"):
        raise WxError(400, "INVALID_REQUEST", "订单未支付成功，不能退款")
    if total_fen != trade.total:
        raise WxError(400, "INVALID_REQUEST", "订单金额与原订单金额不一致")
    if refund_fen > book.refundable(trade):
        raise WxError(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
    now = state.clock.now()
    refund = Refund(
        mchid=merchant.mchid,
        out_refund_no=out_refund_no,
        refund_id=new_refund_id(now),
        transaction=trade,
        refund=refund_fen,
        reason=reason,
        notify_url=notify_url,
        created_at=now,
        request=body,
    )
    book.refunds[(merchant.mchid, out_refund_no)] = refund
    trade.state = "REFUND"
    if state.refund_seconds is not None:
        state.notifier.spawn(_settle_later(state, refund, state.refund_seconds * state.time_scale))
    return json_response(refund.describe())


async def query_refund(request: web.Request) -> web.StreamResponse:
    state, merchant = request.app[STATE_KEY], _merchant(request)
    refund = state.book.refunds.get((merchant.mchid, request.match_info["out_refund_no"]))
    if refund is None:
        raise WxError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
    return json_response(refund.describe())


# -- certificates and bills ----------------------------------------------------------------------


async def certificates(request: web.Request) -> web.StreamResponse:
    state, merchant = request.app[STATE_KEY], _merchant(request)
    cert = state.keys.certificate
    encrypted = aes_gcm_encrypt(
        merchant.apiv3_key, state.keys.certificate_pem.encode(), "certificate"
    )
    return json_response(
        {
            "data": [
                {
                    "serial_no": state.keys.platform_serial,
                    "effective_time": rfc3339(cert.not_valid_before_utc.timestamp()),
                    "expire_time": rfc3339(cert.not_valid_after_utc.timestamp()),
                    "encrypt_certificate": encrypted,
                }
            ]
        }
    )


async def apply_trade_bill(request: web.Request) -> web.StreamResponse:
    state, merchant = request.app[STATE_KEY], _merchant(request)
    query = request.query
    bill_date = query.get("bill_date")
    if not bill_date:
        raise param_error("?bill_date", "账单日期", "必填参数缺失")
    try:
        if not BILL_DATE.fullmatch(bill_date):
            raise ValueError(bill_date)
        day = dt.date.fromisoformat(bill_date)
    except ValueError:
        raise param_error("?bill_date", "账单日期", "格式应为YYYY-MM-DD", bill_date) from None
    bill_type = query.get("bill_type", "ALL")
    if bill_type not in BILL_TYPES:
        raise param_error("?bill_type", "账单类型", "取值应为ALL、SUCCESS或REFUND", bill_type)
    tar_type = query.get("tar_type")
    if tar_type not in (None, "GZIP"):
        raise param_error("?tar_type", "压缩类型", "取值应为GZIP", tar_type)
    today = beijing(state.clock.now()).date()
    if day > today or (today - day).days > BILL_HISTORY_DAYS:
        raise WxError(400, "INVALID_REQUEST", "账单日期不合法，仅支持下载三个月内的历史账单")
    if day == today:
        raise WxError(400, "STATEMENT_CREATING", "账单生成中")
    content = trade_bill(state.book, merchant.mchid, day, bill_type, state.bill_faults)
    if content is None:
        raise WxError(400, "NO_STATEMENT_EXIST", "账单文件不存在")
    token = secrets.token_urlsafe(24)
    payload = gzip.compress(content, mtime=0) if tar_type == "GZIP" else content
    state.bill_files[token] = BillFile(
        merchant.mchid, payload, state.clock.now() + BILL_URL_TTL_SECONDS
    )
    return json_response(
        {
            "hash_type": "SHA1",
            "hash_value": hashlib.sha1(content).hexdigest(),
            "download_url": f"{request.url.origin()}/v3/billdownload/file?token={token}",
        }
    )


async def download_bill(request: web.Request) -> web.StreamResponse:
    state, merchant = request.app[STATE_KEY], _merchant(request)
    bill = state.bill_files.get(request.query.get("token", ""))
    if bill is None or bill.mchid != merchant.mchid or bill.expires_at <= state.clock.now():
        raise WxError(400, "INVALID_REQUEST", "账单下载地址无效或已过期，请重新申请账单")
    response = web.Response(body=bill.payload, content_type="application/octet-stream")
    response[UNSIGNED_KEY] = True
    return response


# -- control API ---------------------------------------------------------------------------------


class MerchantBody(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    mchid: str
    appids: list[str]
    serial_no: str
    public_key_pem: str
    apiv3_key: str


class SigningBody(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    mode: SigningMode


class PayBody(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    result: Literal["SUCCESS", "PAYERROR", "USERPAYING"] = "SUCCESS"
    mchid: str | None = None
    openid: str | None = None
    success_time: str | None = None
    bank_type: str = "OTHERS"


class PlantBody(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    total: Annotated[int, msgspec.Meta(ge=1)]
    mchid: str | None = None
    appid: str | None = None
    out_trade_no: str | None = None
    openid: str | None = None
    trade_type: TradeType = "JSAPI"
    description: str = "商户未下单的交易"
    attach: str | None = None
    success_time: str | None = None
    notify_url: str | None = None
    bank_type: str = "OTHERS"


class SettleBody(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    status: Literal["SUCCESS", "ABNORMAL", "CLOSED"] = "SUCCESS"
    mchid: str | None = None


T = TypeVar("T")


def _decode(raw: bytes, kind: type[T]) -> T:
    try:
        return msgspec.json.decode(raw, type=kind, strict=True)
    except msgspec.DecodeError as exc:
        raise ControlError(400, "INVALID_PARAMETER", str(exc)) from None


class ControlError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@web.middleware
async def control_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ControlError as error:
        return error_response(error.status, error.code, error.message)


def openid_for(appid: str, seed: str) -> str:
    """A stable 28-character openid of the payer of ``seed`` under ``appid``."""
    digest = hashlib.sha256(f"{appid}:{seed}".encode()).digest()
    return "o" + base64.urlsafe_b64encode(digest).decode()[:27]


def _moment(state: WeChatPayState, text: str | None) -> float:
    if text is None:
        return state.clock.now()
    moment = parse_rfc3339(text)
    if moment is None:
        raise ControlError(400, "INVALID_PARAMETER", "successTime: RFC 3339 with an offset")
    return moment


def _trade_for_control(state: WeChatPayState, out_trade_no: str, mchid: str | None) -> Transaction:
    found = state.book.find_by_out_trade_no(out_trade_no, mchid)
    if not found:
        raise ControlError(404, "ORDER_NOT_EXIST", "no such out_trade_no")
    if len(found) > 1:
        raise ControlError(409, "AMBIGUOUS", "several merchants have this out_trade_no: give mchid")
    return found[0]


def notify_payment(state: WeChatPayState, trade: Transaction) -> str | None:
    if trade.notify_url is None:
        return None
    notification = state.notifier.send(
        state.book.merchants[trade.mchid],
        trade.notify_url,
        event_type="TRANSACTION.SUCCESS",
        summary="支付成功",
        original_type="transaction",
        resource=trade.describe(),
        out_trade_no=trade.out_trade_no,
    )
    return notification.event_id


async def control_pay(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    body = _decode(await request.read(), PayBody)
    trade = _trade_for_control(state, request.match_info["out_trade_no"], body.mchid)
    if trade.state not in ("NOTPAY", "USERPAYING"):
        raise ControlError(409, "ORDER_STATE", f"the order is {trade.state}, it cannot be paid")
    moment = _moment(state, body.success_time)
    if trade.time_expire is not None and moment > trade.time_expire:
        raise ControlError(409, "ORDER_EXPIRED", "the order's time_expire has passed")
    if trade.openid is None:
        trade.openid = body.openid or openid_for(trade.appid, trade.out_trade_no)
    trade.bank_type = body.bank_type
    event_id = None
    if body.result == "SUCCESS":
        state.book.mark_paid(trade, moment)
        event_id = notify_payment(state, trade)
    elif body.result == "PAYERROR":
        trade.state = "PAYERROR"
        trade.transaction_id = trade.transaction_id or new_transaction_id(moment)
        state.book.by_transaction_id[trade.transaction_id] = trade
    else:
        trade.state = "USERPAYING"
    return json_response({"transaction": trade.describe(), "notificationId": event_id})


async def control_plant(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    body = _decode(await request.read(), PlantBody)
    merchants = state.book.merchants
    mchid = body.mchid or next(iter(merchants), None)
    merchant = merchants.get(mchid or "")
    if merchant is None:
        raise ControlError(404, "MCH_NOT_EXISTS", "unknown mchid (or no merchant registered)")
    appid = body.appid or merchant.appids[0]
    out_trade_no = body.out_trade_no or "X" + secrets.token_hex(12)
    if not OUT_TRADE_NO.fullmatch(out_trade_no):
        raise ControlError(400, "INVALID_PARAMETER", "outTradeNo: 6..32 of [0-9A-Za-z_-*|]")
    if state.book.transaction(merchant.mchid, out_trade_no) is not None:
        raise ControlError(409, "OUT_TRADE_NO_USED", "this out_trade_no exists already")
    moment = _moment(state, body.success_time)
    trade = Transaction(
        mchid=merchant.mchid,
        appid=appid,
        out_trade_no=out_trade_no,
        trade_type=body.trade_type,
        description=body.description,
        notify_url=body.notify_url,
        total=body.total,
        openid=body.openid or openid_for(appid, out_trade_no),
        attach=body.attach,
        created_at=moment,
        bank_type=body.bank_type,
        planted=True,
    )
    state.book.add(trade)
    state.book.mark_paid(trade, moment)
    event_id = notify_payment(state, trade)
    return json_response({"transaction": trade.describe(), "notificationId": event_id})


async def control_transactions(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    out_trade_no = request.query.get("outTradeNo")
    trades = [
        t.describe() | {"planted": t.planted, "prepayId": t.prepay_id}
        for t in state.book.transactions.values()
        if out_trade_no is None or t.out_trade_no == out_trade_no
    ]
    return json_response({"transactions": trades})


async def control_refunds(request: web.Request) -> web.Response:
    refunds = [r.describe() for r in request.app[STATE_KEY].book.refunds.values()]
    return json_response({"refunds": refunds})


async def control_settle_refund(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    body = _decode(await request.read(), SettleBody)
    out_refund_no = request.match_info["out_refund_no"]
    found = [
        r
        for (m, no), r in state.book.refunds.items()
        if no == out_refund_no and (body.mchid is None or m == body.mchid)
    ]
    if len(found) != 1:
        raise ControlError(404, "RESOURCE_NOT_EXISTS", "no (single) refund with this number")
    if found[0].status != "PROCESSING":
        raise ControlError(409, "REFUND_STATE", f"the refund is {found[0].status} already")
    settle_refund(state, found[0], body.status)
    return json_response(found[0].describe())


async def control_keys(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    keys = state.keys
    return json_response(
        {
            "signingMode": state.signer.mode,
            "platformCertificate": {
                "serialNo": keys.platform_serial,
                "certificatePem": keys.certificate_pem,
            },
            "publicKey": {"id": keys.public_key_id, "pem": keys.public_key_pem},
        }
    )


async def control_get_signing(request: web.Request) -> web.Response:
    signer = request.app[STATE_KEY].signer
    return json_response({"mode": signer.mode, "serial": signer.serial})


async def control_set_signing(request: web.Request) -> web.Response:
    body = _decode(await request.read(), SigningBody)
    request.app[STATE_KEY].signer.mode = body.mode
    return await control_get_signing(request)


def _describe_merchant(merchant: Merchant) -> dict[str, Any]:
    return {
        "mchid": merchant.mchid,
        "appids": list(merchant.appids),
        "serialNo": merchant.serial_no,
    }


async def control_list_merchants(request: web.Request) -> web.Response:
    merchants = request.app[STATE_KEY].book.merchants.values()
    return json_response({"merchants": [_describe_merchant(m) for m in merchants]})


async def control_add_merchant(request: web.Request) -> web.Response:
    body = _decode(await request.read(), MerchantBody)
    try:
        merchant = Merchant(
            mchid=body.mchid,
            appids=tuple(body.appids),
            serial_no=body.serial_no.upper(),
            public_key_pem=body.public_key_pem,
            apiv3_key=body.apiv3_key,
        )
    except ValueError as exc:
        raise ControlError(400, "INVALID_PARAMETER", str(exc)) from None
    request.app[STATE_KEY].book.merchants[merchant.mchid] = merchant
    return json_response(_describe_merchant(merchant))


async def control_notifications(request: web.Request) -> web.Response:
    notifier = request.app[STATE_KEY].notifier
    query = request.query
    attempts = [
        a.describe()
        for a in notifier.attempts
        if query.get("outTradeNo") in (None, a.out_trade_no)
        and query.get("eventType") in (None, a.event_type)
        and query.get("id") in (None, a.event_id)
    ]
    return json_response({"attempts": attempts})


async def control_get_notify_faults(request: web.Request) -> web.Response:
    return json_response(request.app[STATE_KEY].notifier.describe_fault())


async def control_set_notify_faults(request: web.Request) -> web.Response:
    fault = _decode(await request.read(), NotifyFault)
    request.app[STATE_KEY].notifier.set_fault(fault)
    return await control_get_notify_faults(request)


async def control_clear_notify_faults(request: web.Request) -> web.Response:
    request.app[STATE_KEY].notifier.set_fault(None)
    return await control_get_notify_faults(request)


async def control_get_bill_faults(request: web.Request) -> web.Response:
    faults = request.app[STATE_KEY].bill_faults
    return json_response({"faults": msgspec.to_builtins(faults)})


async def control_add_bill_fault(request: web.Request) -> web.Response:
    fault = _decode(await request.read(), BillFault)
    if not BILL_DATE.fullmatch(fault.bill_date):
        raise ControlError(400, "INVALID_PARAMETER", "billDate: YYYY-MM-DD")
    request.app[STATE_KEY].bill_faults.append(fault)
    return await control_get_bill_faults(request)


async def control_clear_bill_faults(request: web.Request) -> web.Response:
    request.app[STATE_KEY].bill_faults.clear()
    return await control_get_bill_faults(request)


def reset_wechatpay(app: web.Application) -> None:
    """Back to a new stand-in's state: its first merchants, no trades, refunds, notifications,
    faults or clock offset (``POST /_control/reset``; tests sharing one stand-in call it)."""
    app[STATE_KEY].reset()


async def control_reset(request: web.Request) -> web.Response:
    reset_wechatpay(request.app)
    return json_response({"status": "reset"})


async def _close(app: web.Application) -> None:
    await app[STATE_KEY].notifier.close()


def build_wechatpay_app(
    *,
    merchants: list[Merchant] | None = None,
    keys_dir: Path | None = None,
    notify_time_scale: float = 1.0,
    signing_mode: SigningMode = "public_key",
    refund_seconds: float | None = DEFAULT_REFUND_SECONDS,
) -> web.Application:
    """Build the WeChat Pay APIv3 stand-in.

    ``keys_dir``: where the platform certificate key and the WeChat Pay public key live
    (generated on first start; None: in memory). ``notify_time_scale`` multiplies the
    notification retry schedule and the refund processing time (``refund_seconds``; None: a
    refund stays PROCESSING until ``/_control/refunds/{no}/settle``).
    """
    if notify_time_scale <= 0:
        raise ValueError("notify_time_scale must be positive")
    if signing_mode not in SIGNING_MODES:
        raise ValueError(f"signing_mode: one of {SIGNING_MODES}")
    keys = PlatformKeys.load_or_generate(keys_dir)
    clock = Clock()
    signer = Signer(keys, signing_mode)
    initial = list(merchants or [])
    book = Book(clock)
    book.reset(initial)
    state = WeChatPayState(
        keys=keys,
        signer=signer,
        book=book,
        notifier=Notifier(signer=signer, clock=clock, time_scale=notify_time_scale),
        clock=clock,
        initial_merchants=initial,
        initial_mode=signing_mode,
        refund_seconds=refund_seconds,
        time_scale=notify_time_scale,
    )
    app = web.Application(middlewares=[wechatpay_api, control_errors])
    app[STATE_KEY] = state
    app.on_shutdown.append(_close)
    r = app.router
    r.add_get("/healthz", healthz)
    r.add_post("/v3/pay/transactions/jsapi", _prepay("JSAPI"))
    r.add_post("/v3/pay/transactions/app", _prepay("APP"))
    r.add_get("/v3/pay/transactions/out-trade-no/{out_trade_no}", query_by_out_trade_no)
    r.add_get("/v3/pay/transactions/id/{transaction_id}", query_by_transaction_id)
    r.add_post("/v3/pay/transactions/out-trade-no/{out_trade_no}/close", close_order)
    r.add_post("/v3/refund/domestic/refunds", create_refund)
    r.add_get("/v3/refund/domestic/refunds/{out_refund_no}", query_refund)
    r.add_get("/v3/certificates", certificates)
    r.add_get("/v3/bill/tradebill", apply_trade_bill)
    r.add_get("/v3/billdownload/file", download_bill)
    r.add_post("/_control/reset", control_reset)
    r.add_get("/_control/keys", control_keys)
    r.add_get("/_control/signing", control_get_signing)
    r.add_post("/_control/signing", control_set_signing)
    r.add_get("/_control/merchants", control_list_merchants)
    r.add_post("/_control/merchants", control_add_merchant)
    r.add_get("/_control/transactions", control_transactions)
    r.add_post("/_control/transactions", control_plant)
    r.add_post("/_control/transactions/{out_trade_no}/pay", control_pay)
    r.add_get("/_control/refunds", control_refunds)
    r.add_post("/_control/refunds/{out_refund_no}/settle", control_settle_refund)
    r.add_get("/_control/notifications", control_notifications)
    r.add_get("/_control/notify-faults", control_get_notify_faults)
    r.add_post("/_control/notify-faults", control_set_notify_faults)
    r.add_delete("/_control/notify-faults", control_clear_notify_faults)
    r.add_get("/_control/bill-faults", control_get_bill_faults)
    r.add_post("/_control/bill-faults", control_add_bill_fault)
    r.add_delete("/_control/bill-faults", control_clear_bill_faults)
    add_clock_routes(app, lambda app: app[STATE_KEY].clock)
    return app
