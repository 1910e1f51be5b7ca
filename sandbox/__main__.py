"""``python -m sandbox``: run every stand-in until interrupted (Ctrl-C)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from pathlib import Path

from sandbox.runner import run_sandbox


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
            )
        )


if __name__ == "__main__":
    main()
