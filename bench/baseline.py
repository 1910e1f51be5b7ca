"""A bare Litestar app serving fixed JSON bodies: the baseline of the catalogue bench.

python -m bench.baseline PORT PAYLOAD_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

from litestar import Litestar, Response, get

from api.cli import run_server


def build(payload_dir: Path) -> Litestar:
    list_body = (payload_dir / "list.json").read_bytes()
    detail_body = (payload_dir / "detail.json").read_bytes()
    mongolian = payload_dir / "detail-mn.json"
    detail_mn_body = mongolian.read_bytes() if mongolian.exists() else detail_body

    @get("/list")
    async def list_items() -> Response[bytes]:
        return Response(list_body, media_type="application/json")

    @get("/detail")
    async def detail() -> Response[bytes]:
        return Response(detail_body, media_type="application/json")

    @get("/detail-mn")
    async def detail_mn() -> Response[bytes]:
        return Response(detail_mn_body, media_type="application/json")

    return Litestar(route_handlers=[list_items, detail, detail_mn], openapi_config=None)


if __name__ == "__main__":
    run_server(build(Path(sys.argv[2])), "127.0.0.1", int(sys.argv[1]))
