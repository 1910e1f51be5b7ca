"""Settings: msgspec Structs loaded once from ``HANDHELD_*`` environment variables.

Nothing reads the environment at import time; ``load_settings`` is called by the CLI (or a
test) and the result is passed explicitly to every factory. Secrets are wrapped in ``Secret``
so that printing or logging a settings object never reveals them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import msgspec

PREFIX = "HANDHELD_"


class Secret(str):
    """A string whose repr/str hides its value; use ``reveal()`` where the value is needed."""

    __slots__ = ()

    def reveal(self) -> str:
        return str.__str__(self)

    def __repr__(self) -> str:
        return "Secret('********')" if self.reveal() else "Secret('')"

    def __str__(self) -> str:
        return "********" if self.reveal() else ""

    def __format__(self, spec: str) -> str:
        return str(self)


class DatabaseSettings(msgspec.Struct, frozen=True, kw_only=True):
    url: Secret = Secret("")
    pool_min_size: int = 2
    pool_max_size: int = 10
    # 0 disables asyncpg's prepared-statement cache, required behind PgBouncer in
    # transaction pooling mode before 1.21 (and from 1.21 unless max_prepared_statements > 0).
    statement_cache_size: int = 100
    # PostgreSQL itself, for what needs a session of its own (the worker's LISTEN connection,
    # migrations under their session advisory lock) when ``url`` goes through PgBouncer in
    # transaction mode; empty: ``url``.
    direct_url: Secret = Secret("")
    # A streaming replica (hot standby) of the primary for reads that may lag: catalogue pages
    # and staff figures (core.replica). Empty: every read goes to the primary.
    replica_url: Secret = Secret("")
    replica_pool_max_size: int = 10
    command_timeout: float = 30.0
    # Short, so a database that is down or unreachable is answered with a prompt 503 (and the
    # worker's reconnect loop notices) instead of requests piling up behind a long wait.
    connect_timeout: float = 3.0
    acquire_timeout: float = 5.0

    def session_url(self) -> Secret:
        """Where a connection that keeps session state goes: ``direct_url``, else ``url``."""
        return self.direct_url or self.url


class RedisSettings(msgspec.Struct, frozen=True, kw_only=True):
    url: Secret = Secret("")
    # Short timeouts and one quick retry: Redis down means a prompt 503, not seconds of backoff.
    connect_timeout: float = 1.0
    socket_timeout: float = 2.0
    retries: int = 1


class HttpClientSettings(msgspec.Struct, frozen=True, kw_only=True):
    connect_timeout: float = 3.0
    total_timeout: float = 10.0
    retries: int = 3
    backoff_base: float = 0.2


class ProvincialSettings(msgspec.Struct, frozen=True, kw_only=True):
    base_url: str = ""
    api_key: Secret = Secret("")
    feed_page_size: int = 50
    # Our registration with the platform's unified identity (OAuth 2.0 + PKCE + OIDC).
    oauth_client_id: str = ""
    oauth_client_secret: Secret = Secret("")
    # Where the platform sends the citizen back with the code: a page of our clients, which
    # hand code and state to POST /api/v1/auth/sso/complete.
    oauth_redirect_uri: str = ""
    oauth_issuer: str = ""
    # Status callbacks: the secret the platform signs them with, and the URL we give it.
    callback_secret: Secret = Secret("")
    callback_url: str = ""


class SmsSettings(msgspec.Struct, frozen=True, kw_only=True):
    base_url: str = ""
    api_key: Secret = Secret("")
    sign_name: str = "掌上办"
    login_template: str = "SMS_LOGIN_CODE"
    # An urgent notice's SMS: the template registered at the gateway (its text is mirrored in
    # push.service.sms_cost, which counts the parts), and the price of one part in fen
    # (HANDHELD_SMS_PRICE_FEN), shown with the estimate before a supervisor approves.
    notice_template: str = "SMS_NOTICE"
    price_fen: int = 5
    # The gateway's per-phone flow-control window (流控): a message refused for the limit is
    # sent again after it, without counting as a failed attempt.
    flow_control_window_s: float = 60.0


class AppPushSettings(msgspec.Struct, frozen=True, kw_only=True):
    base_url: str = ""
    app_key: str = ""
    master_secret: Secret = Secret("")


class PushSettings(msgspec.Struct, frozen=True, kw_only=True):
    """How fast a notice goes out on each channel (push domain).

    Per channel: at most ``*_concurrency`` requests in flight in each worker process (a WeChat
    request carries one message, an app push request up to 1000), and, when ``*_per_second`` is
    above 0, at most that many requests a second across every worker (the ``limits`` library,
    counted in Valkey). WeChat paces us itself too (a 45011 answer defers the batch), so no rate
    of ours is set by default."""

    notice_wechat_concurrency: int = 32
    notice_wechat_per_second: int = 0
    notice_app_concurrency: int = 4
    notice_app_per_second: int = 0


class PiiSettings(msgspec.Struct, frozen=True, kw_only=True):
    # "kid:BASE64,kid2:BASE64" (16-byte SM4 keys); the current one encrypts, all decrypt.
    keys: Secret = Secret("")
    current_key_id: str = ""
    # HMAC-SM3 key of the lookup columns (base64, >= 32 bytes).
    lookup_key: Secret = Secret("")


class AuthSettings(msgspec.Struct, frozen=True, kw_only=True):
    # Directory of ES256 signing keys (<kid>.pem, and `current` naming the signing one).
    keys_dir: Path | None = None
    issuer: str = "https://handheld.xiling.gov.cn"
    audience: str = "handheld-api"
    access_ttl_s: int = 600
    refresh_ttl_s: int = 30 * 24 * 3600
    ticket_ttl_s: int = 60
    exchanged_token_ttl_s: int = 300
    sso_state_ttl_s: int = 600
    sms_code_ttl_s: int = 300
    sms_code_attempts: int = 5
    sms_per_phone: str = "1/minute;5/hour"
    sms_per_ip: str = "20/hour"
    staff_max_failures: int = 5
    staff_lockout_s: int = 900
    staff_idle_timeout_s: int = 1800
    staff_absolute_timeout_s: int = 12 * 3600
    # How long a process trusts what it read of an authorisation to act for another party
    # before reading it again (revocations reach every process at once regardless).
    mandate_cache_s: float = 30.0


class WechatSettings(msgspec.Struct, frozen=True, kw_only=True):
    base_url: str = ""
    appid: str = ""
    secret: Secret = Secret("")
    # Message push (消息推送): the Token and EncodingAESKey configured in the mini-program admin.
    push_token: Secret = Secret("")
    push_aes_key: Secret = Secret("")
    # Subscribe-message templates (订阅消息) by purpose.
    template_progress: str = "TPL_PROGRESS"
    template_result: str = "TPL_RESULT"
    template_notice: str = "TPL_NOTICE"
    miniprogram_state: str = "formal"


class StorageSettings(msgspec.Struct, frozen=True, kw_only=True):
    # Where citizens' materials go: a local directory, or S3-compatible storage.
    backend: Literal["local", "s3"] = "local"
    # The local directory; default: <data_dir>/materials.
    local_root: Path | None = None
    # Seals short-lived download links.
    link_secret: Secret = Secret("")
    # Cipher of stored files (core.filecrypt); their data keys are wrapped by the PII keyset
    # (SM4) either way. SM4-GCM has no hardware path in OpenSSL here: ~25 MB/s per core.
    file_cipher: Literal["aes-256-gcm", "sm4-gcm"] = "aes-256-gcm"


class S3Settings(msgspec.Struct, frozen=True, kw_only=True):
    endpoint_url: str = ""
    bucket: str = "handheld"
    access_key: Secret = Secret("")
    secret_key: Secret = Secret("")


class CatalogSettings(msgspec.Struct, frozen=True, kw_only=True):
    # Cron expression for the periodic catalogue sync (pgqueuer schedules, minute resolution).
    sync_cron: str = "* * * * *"
    cache_entries: int = 4096


class JobSettings(msgspec.Struct, frozen=True, kw_only=True):
    max_attempts: int = 8
    initial_delay_s: float = 1.0
    # The cap of the jittered backoff: an outside system back up is tried again within it.
    max_delay_s: float = 60.0
    batch_size: int = 10
    # A job whose worker stopped heart-beating this long ago (killed) is picked up again.
    heartbeat_timeout_s: float = 30.0
    # The worker also looks for due jobs this often: a retry whose delay ran out is announced by
    # no notification, so without it the job could wait far longer than its backoff.
    poll_interval_s: float = 5.0
    # The worker reconnects to a database that went away, with backoff up to reconnect_max_s;
    # it exits (non-zero, for its supervisor to restart it) after give_up_after_s without one.
    reconnect_initial_s: float = 0.5
    reconnect_max_s: float = 10.0
    give_up_after_s: float = 300.0


class WechatPaySettings(msgspec.Struct, frozen=True, kw_only=True):
    """WeChat Pay API v3 as a direct merchant (payments domain)."""

    base_url: str = ""
    mchid: str = ""
    # JSAPI pays with the mini-program's appid, APP payments with the mobile app's (open platform).
    appid: str = ""
    app_appid: str = ""
    merchant_serial_no: str = ""
    merchant_private_key_path: Path | None = None
    apiv3_key: Secret = Secret("")
    # WeChat Pay public-key mode; platform certificates (fetched from /v3/certificates) otherwise.
    public_key_id: str = ""
    public_key_path: Path | None = None
    notify_url: str = ""
    refund_notify_url: str = ""
    # Notifications and responses older or newer than this are refused (replay window).
    timestamp_window_s: int = 300
    order_ttl_s: int = 1800
    # Query WeChat by out_trade_no when no notification came after these delays.
    poll_delays_s: str = "30,120,600,1800"
    reconcile_cron: str = "30 10 * * *"

    def poll_delays(self) -> list[float]:
        return [float(d) for d in self.poll_delays_s.split(",") if d.strip()]


class LicenceSettings(msgspec.Struct, frozen=True, kw_only=True):
    """E-licence wallet: our SM2 display-signing key and display-code lifetime."""

    display_key_path: Path | None = None
    display_ttl_s: int = 60
    verify_base_url: str = ""
    # Refused online verifications (codes we did not issue) per client address: probing is
    # answered 429 beyond this; genuine codes are never throttled.
    verify_per_ip: str = "20/minute;200/day"
    # Display codes' QR symbols kept drawn in each API process (~7 KB each).
    qr_cache_entries: int = 2048


class ProxiesSettings(msgspec.Struct, frozen=True, kw_only=True):
    """委托代办 and 帮办 (api.proxies, docs/acting-as.md)."""

    # The longest authorisation a person may give another (days from its start).
    max_days: int = 366
    # Naming an agent looks a person up by ID number and name: throttled per citizen.
    lookups_per_citizen: str = "10/hour"
    # A hall worker's assistance: how long a confirmed one lasts, and the SMS template of the
    # code the citizen reads out (registered at the gateway; the code lives as login codes do).
    assist_minutes: int = 120
    assist_template: str = "SMS_ASSIST_CODE"


class HallQueueSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Queue numbers (取号) in service halls: the halls' calling system and the arrival rules."""

    # The calling system (排队叫号系统): its API and the secret its event callbacks are signed with.
    base_url: str = ""
    api_key: Secret = Secret("")
    callback_secret: Secret = Secret("")
    # Signs the hall codes printed in the halls' QR codes (an empty one refuses every QR).
    qr_secret: Secret = Secret("")
    # Arrival by location: within this many metres of the hall's coordinates.
    arrival_radius_m: float = 300.0
    # A number can be taken from this long before the booked slot starts until it ends.
    early_arrival_s: int = 1800


class HallsSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Service halls and appointments (预约): the rules a province may set (docs/halls.md)."""

    # Open bookings (booked, slot not yet past) a citizen may hold at once.
    max_open_bookings: int = 3
    # A booking can be cancelled until this long before its slot starts.
    cancel_cutoff_minutes: int = 120
    # How many days ahead (today included) slots are offered.
    book_days_ahead: int = 7
    # A booking not arrived this long after its slot ended is a no-show.
    no_show_grace_minutes: int = 30
    # This many no-shows within no_show_window_days pause booking for pause_days.
    no_show_limit: int = 3
    no_show_window_days: int = 90
    pause_days: int = 30
    # The reminder goes out the day before the slot, from this hour (China time).
    remind_from_hour: int = 9
    # The directory is one small page: read as often as the catalogue's feed.
    sync_cron: str = "* * * * *"
    supervise_cron: str = "*/5 * * * *"
    cache_entries: int = 512


class HotlineSettings(msgspec.Struct, frozen=True, kw_only=True):
    """The 12345 hotline platform (api.hotline): where tickets go, the secret its signed
    callbacks carry, and the reply deadlines in working days (per province rules)."""

    base_url: str = ""
    api_key: Secret = Secret("")
    callback_secret: Secret = Secret("")
    # The URL we give 12345 for a ticket's events (our /api/v1/hooks/hotline/tickets).
    callback_url: str = ""
    consultation_reply_days: int = 1
    complaint_reply_days: int = 5
    suggestion_reply_days: int = 5


class PostalSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Delivery of paper results (api.delivery): the secret the courier's signed tracking
    callbacks carry, the URL we give for them (our /api/v1/hooks/postal/events), and how many
    addresses a citizen's book holds."""

    # The courier's own API: the platform books shipments there, we only receive its events
    # (kept so every outside system is named in one place, as the stand-in harness expects).
    base_url: str = ""
    callback_secret: Secret = Secret("")
    callback_url: str = ""
    max_addresses: int = 20


class ShutdownSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Stopping for a rolling update (SIGTERM): nothing in flight is lost (core.draining,
    core.jobs)."""

    # API: /readyz answers 503 this long before the server stops accepting connections, while
    # requests are still served, so the load balancer's readiness probe takes it out first.
    drain_s: float = 5.0
    # Worker: jobs running when the signal came get this long to finish; those still running
    # are then handed back to the queue (picked up by another worker, not counted as a failure).
    jobs_grace_s: float = 20.0


class SupervisionSettings(msgspec.Struct, frozen=True, kw_only=True):
    """The yellow and red cards' thresholds (docs/supervision.md): a department's month is
    red when any red count is reached, else yellow when any yellow count is reached."""

    # Cases whose promised deadline fell in the month and were not finished by it (超期).
    red_overdue: int = 3
    yellow_overdue: int = 1
    # Bad reviews not rectified within their 3 working days.
    red_late_rectifications: int = 2
    yellow_late_rectifications: int = 1
    # Materials asked for twice (Yongchang Art. 17).
    red_asked_twice: int = 3
    yellow_asked_twice: int = 1
    # Cases asked to supplement a second time (repeat supplements, 二次补正).
    yellow_repeat_supplements: int = 2
    # When the card job looks for a finished China month to compute (UTC cron; the job runs a
    # month once the figures have swept its last day).
    cards_cron: str = "7 * * * *"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    env: Literal["dev", "test", "prod"] = "dev"
    host: str = "127.0.0.1"
    port: int = 8000
    # Our reverse proxies (CIDR list, comma-separated; empty: none). Only a peer listed here may
    # tell us the client's address in X-Forwarded-For (core.client_address).
    trusted_proxies: str = ""
    data_dir: Path = Path(".handheld")
    log_level: str = "INFO"
    log_json: bool = True
    database: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    http: HttpClientSettings = HttpClientSettings()
    provincial: ProvincialSettings = ProvincialSettings()
    wechat: WechatSettings = WechatSettings()
    sms: SmsSettings = SmsSettings()
    apppush: AppPushSettings = AppPushSettings()
    push: PushSettings = PushSettings()
    pii: PiiSettings = PiiSettings()
    auth: AuthSettings = AuthSettings()
    storage: StorageSettings = StorageSettings()
    s3: S3Settings = S3Settings()
    catalog: CatalogSettings = CatalogSettings()
    jobs: JobSettings = JobSettings()
    wechatpay: WechatPaySettings = WechatPaySettings()
    licences: LicenceSettings = LicenceSettings()
    halls: HallsSettings = HallsSettings()
    hotline: HotlineSettings = HotlineSettings()
    shutdown: ShutdownSettings = ShutdownSettings()
    supervision: SupervisionSettings = SupervisionSettings()
    hallqueue: HallQueueSettings = HallQueueSettings()
    postal: PostalSettings = PostalSettings()
    proxies: ProxiesSettings = ProxiesSettings()


_SECTIONS = {
    f.name
    for f in msgspec.structs.fields(Settings)
    if f.name not in {"env", "host", "port", "trusted_proxies", "data_dir", "log_level", "log_json"}
}


def load_settings(environ: Mapping[str, str] | None = None, /, **overrides: Any) -> Settings:
    """Build ``Settings`` from ``HANDHELD_*`` variables.

    ``HANDHELD_PORT`` sets ``port``; ``HANDHELD_DATABASE_URL`` sets ``database.url`` (the first
    word after the prefix names a section when one exists). Values are converted by msgspec,
    so a bad value fails loudly at start-up rather than at first use.
    """
    source = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    for key, value in source.items():
        if not key.startswith(PREFIX):
            continue
        name = key[len(PREFIX) :].lower()
        section, _, rest = name.partition("_")
        if section in _SECTIONS and rest:
            raw.setdefault(section, {})[rest] = value
        else:
            raw[name] = value
    for key, value in overrides.items():
        if isinstance(value, dict):
            raw.setdefault(key, {}).update(value)
        else:
            raw[key] = value
    return msgspec.convert(raw, Settings, strict=False, dec_hook=_dec_hook)


def _dec_hook(type_: type, value: Any) -> Any:
    if type_ is Secret:
        return Secret(value)
    if type_ is Path:
        return Path(value)
    raise NotImplementedError(type_)


def with_changes(settings: Settings, **sections: Any) -> Settings:
    """Return a copy of ``settings`` with top-level fields or whole sections replaced."""
    return msgspec.structs.replace(settings, **sections)
