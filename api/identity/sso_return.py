"""The page the platform's unified identity returns to (the OAuth ``redirect_uri``).

A static page: inside the mini-program's web-view its script hands ``code`` and ``state`` to
the mini-program page that completes the binding (``wx.miniProgram.redirectTo``, WeChat's
JS-SDK, the only script allowed from elsewhere); the mobile app intercepts the address itself.
Nothing from the request is written into the page.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Controller, Response, get

PAGE_DIR = Path(__file__).with_name("sso_return")
_FILES = {
    "index.html": "text/html",
    "page.js": "text/javascript",
    "page.css": "text/css",
}
_BODIES = {name: (PAGE_DIR / name).read_bytes() for name in _FILES}
HEADERS = {
    "Content-Security-Policy": "; ".join(
        [
            "default-src 'none'",
            "script-src 'self' https://res.wx.qq.com",
            "style-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    ),
    "X-Content-Type-Options": "nosniff",
    # The code in the address must not leak to other sites.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _file(name: str) -> Response[bytes]:
    return Response(_BODIES[name], media_type=_FILES[name], headers=HEADERS)


class SsoReturnController(Controller):
    path = "/sso/return"
    include_in_schema = False

    @get("")
    async def page(self) -> Response[bytes]:
        return _file("index.html")

    @get("/page.js")
    async def script(self) -> Response[bytes]:
        return _file("page.js")

    @get("/page.css")
    async def style(self) -> Response[bytes]:
        return _file("page.css")
