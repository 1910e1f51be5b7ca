"""``python -m sandbox``: run every stand-in until interrupted (Ctrl-C)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from pathlib import Path

from sandbox.hallqueue.app import DEFAULT_CALLBACK_SECRET as DEFAULT_HALLQUEUE_SECRET
from sandbox.hotline.app import DEFAULT_CALLBACK_SECRET as DEFAULT_HOTLINE_SECRET
from sandbox.postal.app import DEFAULT_CALLBACK_SECRET as DEFAULT_POSTAL_SECRET
from sandbox.provincial.cases import DEFAULT_CALLBACK_SECRET
from sandbox.provincial.identity import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_ISSUER
from sandbox.runner import run_sandbox
from sandbox.wechat.crypto import DEFAULT_PUSH_AES_KEY, DEFAULT_PUSH_TOKEN


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="Run the stand-ins of the outside systems."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--provincial-port", type=int, default=8101)
    parser.add_argument("--wechat-port", type=int, default=8102)
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="keep state here (default: in memory)"
    )
    parser.add_argument("--provincial-api-key", default="dev-provincial-key")
    parser.add_argument("--wechat-appid", default="wxdev000000000000")
    parser.add_argument("--wechat-secret", default="dev-wechat-secret")
    parser.add_argument("--sms-port", type=int, default=8103)
    parser.add_argument("--sms-api-key", default="dev-sms-key")
    parser.add_argument("--oauth-client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--oauth-client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument(
        "--oauth-issuer",
        default=DEFAULT_ISSUER,
        help="iss of id_tokens; 'request' uses the URL the request came to",
    )
    parser.add_argument(
        "--callback-url",
        default=None,
        help="where case status events go when a case names no callbackUrl",
    )
    parser.add_argument("--callback-secret", default=DEFAULT_CALLBACK_SECRET)
    parser.add_argument(
        "--auto-process-seconds",
        type=float,
        default=None,
        help="move every open case one step along its script this often (default: off)",
    )
    parser.add_argument(
        "--wechat-push-url",
        default=None,
        help="where WeChat message-push events go (default: none)",
    )
    parser.add_argument("--wechat-push-token", default=DEFAULT_PUSH_TOKEN)
    parser.add_argument(
        "--wechat-push-aes-key", default=DEFAULT_PUSH_AES_KEY, help="43-char EncodingAESKey"
    )
    parser.add_argument("--apppush-port", type=int, default=8104)
    parser.add_argument("--apppush-app-key", default="dev-apppush-key")
    parser.add_argument("--apppush-master-secret", default="dev-apppush-secret")
    parser.add_argument("--wechatpay-port", type=int, default=8105)
    parser.add_argument("--hallqueue-port", type=int, default=8107)
    parser.add_argument("--hallqueue-api-key", default="dev-hallqueue-key")
    parser.add_argument(
        "--hallqueue-callback-url", default=None, help="where the calling system's events go"
    )
    parser.add_argument("--hallqueue-callback-secret", default=DEFAULT_HALLQUEUE_SECRET)
    parser.add_argument("--hotline-port", type=int, default=8106)
    parser.add_argument("--hotline-api-key", default="dev-hotline-key")
    parser.add_argument(
        "--hotline-callback-url",
        default=None,
        help="where 12345 ticket events go when a ticket names no callbackUrl",
    )
    parser.add_argument("--hotline-callback-secret", default=DEFAULT_HOTLINE_SECRET)
    parser.add_argument(
        "--hotline-auto-process-seconds",
        type=float,
        default=None,
        help="move every open 12345 ticket one step this often (default: off)",
    )
    parser.add_argument("--postal-port", type=int, default=8108)
    parser.add_argument(
        "--ports-file",
        type=Path,
        default=None,
        help="a taken port falls back to a free one; once all listen, write their ports here",
    )
    parser.add_argument("--postal-api-key", default="dev-postal-key")
    parser.add_argument("--postal-callback-secret", default=DEFAULT_POSTAL_SECRET)
    parser.add_argument(
        "--postal-auto-process-seconds",
        type=float,
        default=None,
        help="move every open shipment one tracking step this often (default: off)",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            run_sandbox(
                host=args.host,
                provincial_port=args.provincial_port,
                wechat_port=args.wechat_port,
                data_dir=args.data_dir,
                provincial_api_key=args.provincial_api_key,
                wechat_appid=args.wechat_appid,
                wechat_secret=args.wechat_secret,
                sms_port=args.sms_port,
                sms_api_key=args.sms_api_key,
                oauth_client_id=args.oauth_client_id,
                oauth_client_secret=args.oauth_client_secret,
                oauth_issuer=None if args.oauth_issuer == "request" else args.oauth_issuer,
                callback_url=args.callback_url,
                callback_secret=args.callback_secret,
                auto_process_seconds=args.auto_process_seconds,
                wechat_push_url=args.wechat_push_url,
                wechat_push_token=args.wechat_push_token,
                wechat_push_aes_key=args.wechat_push_aes_key,
                apppush_port=args.apppush_port,
                apppush_app_key=args.apppush_app_key,
                apppush_master_secret=args.apppush_master_secret,
                wechatpay_port=args.wechatpay_port,
                hallqueue_port=args.hallqueue_port,
                hallqueue_api_key=args.hallqueue_api_key,
                hallqueue_callback_url=args.hallqueue_callback_url,
                hallqueue_callback_secret=args.hallqueue_callback_secret,
                hotline_port=args.hotline_port,
                hotline_api_key=args.hotline_api_key,
                hotline_callback_url=args.hotline_callback_url,
                hotline_callback_secret=args.hotline_callback_secret,
                hotline_auto_process_seconds=args.hotline_auto_process_seconds,
                postal_port=args.postal_port,
                postal_api_key=args.postal_api_key,
                postal_callback_secret=args.postal_callback_secret,
                postal_auto_process_seconds=args.postal_auto_process_seconds,
                ports_file=args.ports_file,
            )
        )


if __name__ == "__main__":
    main()
