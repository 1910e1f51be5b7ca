"""What authentication costs: an authenticated endpoint against the same endpoint without it.

    uv run python bench/auth.py [--seconds 8]

Both servers run the same application (`create_app`, served by `api.cli.run_server`) on the same
data. In the baseline the `citizen` dependency is replaced by a fixed principal, so the only
difference is the bearer token's check (signature, expiry, revocation). The endpoint is
`GET /api/v1/me`: one database read and decryption of the citizen's masked profile.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import result, server, stack, wrk
from core.embedded import free_port

TARGET = 0.85
PHONE = "13800138000"


def post(url: str, body: dict[str, str]) -> dict[str, object]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return dict(json.load(resp))


def get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return dict(json.load(resp))


def sign_in(api: str, sms: str) -> tuple[str, str]:
    """A citizen signs in by SMS through the API; returns (access token, citizen id)."""
    post(api + "/api/v1/auth/sms/send", {"phone": PHONE})
    messages = get(f"{sms}/_control/messages?phone={PHONE}")["messages"]
    code = messages[-1]["templateParams"]["code"]  # type: ignore[index]
    tokens = post(api + "/api/v1/auth/sms/login", {"phone": PHONE, "code": code})
    return str(tokens["accessToken"]), str(tokens["citizen"]["id"])  # type: ignore[index]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    with stack() as env_stack:
        port = free_port()
        serve = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
        with server(serve, env_stack.env, port) as api:
            token, citizen_id = sign_in(api, env_stack.sms_url)
            authenticated = wrk(
                api + "/api/v1/me",
                seconds=args.seconds,
                headers={"Authorization": f"Bearer {token}"},
            )
        base_port = free_port()
        bare = [sys.executable, "-m", "bench.unauthenticated", str(base_port), citizen_id]
        with server(bare, env_stack.env, base_port) as base:
            unauthenticated = wrk(base + "/api/v1/me", seconds=args.seconds)
    result("auth_me", authenticated, unauthenticated, TARGET)


if __name__ == "__main__":
    main()
