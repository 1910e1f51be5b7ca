"""Declarations: the my-declarations list, and streamed material uploads.

    uv run python bench/declarations.py [--seconds 8]

- `declarations_list`: GET /api/v1/declarations (authenticated, 20 rows) req/s, divided by a
  bare Litestar handler that runs the same SQL through asyncpg and returns the rows as JSON
  (`bench/bare_sql.py`), same server settings, same run, the two loads alternated over three
  rounds with both servers up; our API logs as shipped (JSON access log on).
- `access_log_cost`: that list's req/s with the JSON access log on, as shipped (the output goes
  into a drained pipe, as under a container runtime), divided by the same API with its log
  level at WARNING, both servers loaded at the same time (on a shared machine, one after the
  other measured the neighbours' load more than the log); the servers' CPU per request is
  printed beside it.
- `upload_rss`: peak RSS growth of the API process while a 50 MB file is uploaded, divided by
  the file size (streaming means it stays a small fraction): the kernel's high-water mark
  (VmHWM, reset through /proc/PID/clear_refs before each upload) above the RSS before it,
  median of several uploads after a warm-up one.
- `upload_throughput`: bytes/s of that upload through our endpoint (multipart parsing, type
  sniffing, SHA-256, encryption, storage synced to the disk before the answer), divided by a raw
  endpoint writing the request body to a file and syncing it before it answers. Our endpoint
  never acknowledges a material that a crash could still lose, so the baseline is held to the
  same: the sync is a device cache flush, 45-120 ms for 50 MB on this machine's virtual disk
  whatever the code before it does. The raw endpoint without the sync is printed beside it.
- `declaration_write` (informational, target ≥ 0.25): write requests/s of a real-name citizen
  filing declarations as the mini-program does, create the draft, save its form, submit it
  (bench/lua/declaration.lua: 8 chains, one per wrk thread; an item without required
  materials), divided by a bare Litestar handler that INSERTs one row per request through
  asyncpg (`bench/bare_sql.py`), same wrk shape, both servers up and the loads alternated. Each
  of our writes is one transaction of several statements (the draft with its prefill and
  timeline; the form's check and update; the submission's checks, state move, deadline from
  the working-day calendar, stored idempotent answer and the job enqueued with it) against one
  INSERT, hence a target near a quarter.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, alternating, server, stack, wrk, wrk_chained
from core.embedded import free_port

PHONE = "13800138001"
UPLOAD_MB = 50
BIG_ITEM = "BENCH-UPLOAD-001"
WRITE_ITEM = "BENCH-WRITE-001"
WRITE_TARGET = 0.25
CHAINS = 8
LUA = Path(__file__).resolve().parent / "lua"


def call(method: str, url: str, body: object = None, headers: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=60) as resp:
        raw = resp.read()
        return json.loads(raw) if raw else {}


def sign_in(api: str, sms: str) -> tuple[str, str]:
    call("POST", api + "/api/v1/auth/sms/send", {"phone": PHONE})
    messages = call("GET", f"{sms}/_control/messages?phone={PHONE}")["messages"]
    tokens = call(
        "POST",
        api + "/api/v1/auth/sms/login",
        {"phone": PHONE, "code": messages[-1]["templateParams"]["code"]},
    )
    return tokens["accessToken"], tokens["citizen"]["id"]


def real_name_sign_in(api: str, provincial: str) -> str:
    """A citizen signs in through the platform's unified identity (real name: what a
    submission needs), as the web-view does; returns the access token."""
    from sandbox.provincial.users import USERS_BY_NAME  # the stand-in's test users

    who = USERS_BY_NAME["zhangsan"]
    start = call("POST", api + "/api/v1/auth/sso/start", {"purpose": "login"})
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start["authorizeUrl"]).query))
    form = urllib.parse.urlencode({**query, "username": who.username, "password": who.password})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    request = urllib.request.Request(
        provincial + "/oauth2/authorize",
        data=form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        urllib.request.build_opener(NoRedirect).open(request, timeout=30)
        raise RuntimeError("the platform did not redirect back")
    except urllib.error.HTTPError as redirect:
        location = redirect.headers["Location"]
    back = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    if "code" not in back:
        raise RuntimeError(f"the platform refused the sign-in: {location}")
    done = call(
        "POST", api + "/api/v1/auth/sso/complete", {"code": back["code"], "state": back["state"]}
    )
    return str(done["accessToken"])


def write_item(provincial: str) -> None:
    """An item without required materials (a declaration is submitted with its form alone),
    added to the stand-in; synced with the others."""
    item = call(
        "GET",
        provincial + "/gov/catalog/v1/items/11620100013900112A-GG-00101-001",
        headers={"Authorization": "Bearer bench-key"},
    )
    item.update(code=WRITE_ITEM, name="申报写入基准事项", status="active", statusReason=None)
    item["materials"] = []
    call("POST", provincial + "/_control/items", item)


def complete_form(api: str, auth: dict[str, str]) -> dict[str, object]:
    """Every required field of the write item's form filled with a valid value (as the
    tests' applicant fills one)."""
    draft = call("POST", api + "/api/v1/declarations", {"itemCode": WRITE_ITEM}, auth)
    data = dict(draft["formData"])
    for field in draft["form"]:
        if field["key"] in data or not field["required"]:
            continue
        values = {"select": (field["options"] or [""])[-1], "date": "2026-11-01", "number": 1200}
        data[field["key"]] = values.get(field["type"], "申请办理")
    return data


def big_item(provincial: str, api: str) -> None:
    """An item whose material accepts 60 MB files, added to the stand-in and synced."""
    item = call(
        "GET",
        provincial + "/gov/catalog/v1/items/11620100013900112A-GG-00101-001",
        headers={"Authorization": "Bearer bench-key"},
    )
    item.update(code=BIG_ITEM, name="大文件上传基准事项", status="active", statusReason=None)
    item["materials"] = [
        {
            **item["materials"][0],
            "code": "BIG",
            "formats": ["pdf"],
            "maxSizeKb": 60 * 1024,
            "licenceTypes": [],
        }
    ]
    call("POST", provincial + "/_control/items", item)


def pdf_around(content_length: int) -> tuple[bytes, bytes]:
    """``(head, tail)`` of a one-page PDF whose content stream is ``content_length`` bytes
    written between them: uploads are opened by a PDF parser, so the file must be a real one."""
    head = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
        ],
        1,
    ):
        offsets.append(len(head))
        head += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    offsets.append(len(head))
    head += b"4 0 obj\n<< /Length %d >>\nstream\n" % content_length
    tail = bytearray(b"\nendstream\nendobj\n")
    xref = len(head) + content_length + len(tail)
    tail += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    tail += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(head), bytes(tail)


def multipart_file(path: Path, size: int) -> tuple[bytes, bytes]:
    boundary = b"benchboundary"
    head = (
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; '
        b'filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    )
    tail = b"\r\n--" + boundary + b"--\r\n"
    pdf_head, pdf_tail = pdf_around(size - 400)
    content = size - len(pdf_head) - len(pdf_tail)
    pdf_head, pdf_tail = pdf_around(content)
    with path.open("wb") as f:
        f.write(head + pdf_head)
        chunk = os.urandom(1 << 20)
        written = 0
        while written < content:
            f.write(chunk[: min(len(chunk), content - written)])
            written += min(len(chunk), content - written)
        f.write(pdf_tail + tail)
    return boundary, head


def upload(url: str, body: Path, content_type: str, headers: dict[str, str]) -> float:
    """Seconds to send ``body`` streamed from disk."""
    size = body.stat().st_size

    def chunks():  # type: ignore[no-untyped-def]
        with body.open("rb") as f:
            while block := f.read(1 << 20):
                yield block

    request = urllib.request.Request(
        url,
        data=chunks(),
        method="PUT",
        headers={"Content-Type": content_type, "Content-Length": str(size), **headers},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as resp:
        resp.read()
    return time.perf_counter() - started


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def peak_growth(pid: int, action: Callable[[], float]) -> tuple[int, float]:
    """``(bytes, seconds)``: how far the process's resident set rose above where it stood
    before ``action``, from the kernel's high-water mark (reset first), which misses no
    short-lived peak the way sampling does."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
    before = _status_kb(pid, "VmRSS")
    seconds = action()
    return max(0, _status_kb(pid, "VmHWM") - before), seconds


def lists_at_once(
    servers: dict[str, tuple[str, int]], seconds: int, headers: dict[str, str], rounds: int = 2
) -> dict[str, tuple[float, float]]:
    """``{name: (req/s, CPU seconds of the server per request)}`` of each server's list, all
    loaded at the same time (one wrk each): on a shared machine, load that comes and goes
    then weighs on every server alike, which measuring one after the other does not ensure."""
    processes = {name: psutil.Process(pid) for name, (_, pid) in servers.items()}
    rates: dict[str, list[float]] = {name: [] for name in servers}
    cpu: dict[str, list[float]] = {name: [] for name in servers}
    with ThreadPoolExecutor(len(servers)) as pool:
        for _ in range(rounds):
            before = {name: sum(p.cpu_times()[:2]) for name, p in processes.items()}
            loads = {
                name: pool.submit(wrk, url, seconds=seconds, headers=headers)
                for name, (url, _) in servers.items()
            }
            for name, load in loads.items():
                rate = load.result()
                used = sum(processes[name].cpu_times()[:2]) - before[name]
                rates[name].append(rate)
                # wrk warms up for a second before its measured run, at a lower rate.
                cpu[name].append(used / (rate * (seconds + 1)))
    return {name: (statistics.mean(rates[name]), statistics.mean(cpu[name])) for name in servers}


def server_pid(port: int) -> int:
    return next(
        p.pid
        for p in psutil.Process().children(recursive=True)
        if "serve" in " ".join(p.cmdline()) and str(port) in p.cmdline()
    )


def list_rates(
    api: str, base: str, auth: dict[str, str], seconds: int, rounds: int = 3
) -> tuple[float, float]:
    """The list's req/s through our API and through the bare SQL handler, alternated over
    ``rounds`` (one long run of each, minutes apart, measured the shared machine's passing
    load as much as the two handlers: single runs of the same code gave 0.65 to 1.13)."""
    per_round = max(2, seconds // 2 + 1)
    rates = alternating(
        {
            "ours": lambda: wrk(api + "/api/v1/declarations", seconds=per_round, headers=auth),
            "bare": lambda: wrk(base + "/declarations", seconds=per_round),
        },
        rounds,
    )
    return rates["ours"], rates["bare"]


def declaration_writes(
    api: str, provincial: str, env: dict[str, str], seconds: int, rounds: int = 3
) -> dict[str, float]:
    """Our declaration writes and the bare INSERT, alternated, req/s each."""
    real_name = {"Authorization": f"Bearer {real_name_sign_in(api, provincial)}"}
    os.environ["BENCH_AUTHORIZATION"] = real_name["Authorization"]  # read by wrk's Lua
    os.environ["BENCH_ITEM"] = WRITE_ITEM
    os.environ["BENCH_FORM"] = json.dumps(complete_form(api, real_name), ensure_ascii=False)
    os.environ["BENCH_BODY"] = json.dumps({"itemCode": WRITE_ITEM})
    per_round = max(2, seconds // rounds + 1)
    bare_port = free_port()
    citizen_id = call("GET", api + "/api/v1/me", headers=real_name)["id"]
    bare = [sys.executable, "-m", "bench.bare_sql", str(bare_port), citizen_id, os.devnull]
    with server(bare, env, bare_port) as base:
        return alternating(
            {
                "ours": lambda: wrk_chained(
                    api + "/api/v1/declarations",
                    seconds=per_round,
                    script=LUA / "declaration.lua",
                    connections=CHAINS,
                ),
                "bare": lambda: wrk_chained(
                    base + "/insert",
                    seconds=per_round,
                    script=LUA / "post.lua",
                    connections=CHAINS,
                ),
            },
            rounds,
        )


def print_writes(writes: dict[str, float]) -> None:
    print(
        f"  declaration_write: {writes['ours']:,.0f} write req/s (create, save, submit: "
        f"{writes['ours'] / 3:,.0f} declarations/s) vs bare INSERT handler "
        f"{writes['bare']:,.0f} req/s ({CHAINS} chains each, alternated)"
    )
    print(f"RESULT declaration_write ratio={writes['ours'] / writes['bare']:.2f} "
          f"target>={WRITE_TARGET}")  # fmt: skip


def writes_only(seconds: int) -> None:
    """The declaration_write line alone: the API as shipped, the write item, the loads."""
    with stack() as env_stack:
        port = free_port()
        serve = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
        with server(serve, env_stack.env, port) as api:
            write_item(env_stack.provincial_url)
            from bench.harness import sync_catalogue

            sync_catalogue(env_stack.env)
            writes = declaration_writes(api, env_stack.provincial_url, env_stack.env, seconds)
    print_writes(writes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--uploads", type=int, default=5, help="measured after one warm-up")
    parser.add_argument(
        "--writes-only", action="store_true", help="only the declaration_write line (shorter)"
    )
    args = parser.parse_args()
    if args.writes_only:
        writes_only(args.seconds)
        return
    work = ROOT / ".handheld" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    shipped = work / "api.log"
    shipped.unlink(missing_ok=True)
    with stack() as env_stack:
        env = {**env_stack.env, "HANDHELD_STORAGE_LOCAL_ROOT": str(work / "materials")}
        port, quiet_port = free_port(), free_port()
        serve = [sys.executable, "-m", "api.cli", "serve", "--port"]
        # The same API with its access log at WARNING: what the access log costs.
        quiet_env = {**env, "HANDHELD_LOG_LEVEL": "WARNING"}
        with (
            server([*serve, str(port)], env, port, log=shipped) as api,
            server([*serve, str(quiet_port)], quiet_env, quiet_port) as quiet,
        ):
            token, citizen_id = sign_in(api, env_stack.sms_url)
            auth = {"Authorization": f"Bearer {token}"}
            big_item(env_stack.provincial_url, api)
            write_item(env_stack.provincial_url)
            from bench.harness import sync_catalogue

            sync_catalogue(env)
            for _ in range(20):
                call("POST", api + "/api/v1/declarations", {"itemCode": BIG_ITEM}, auth)
            bare_port = free_port()
            bare = [
                sys.executable,
                "-m",
                "bench.bare_sql",
                str(bare_port),
                citizen_id,
                str(work / "raw-upload"),
            ]
            with server(bare, env, bare_port) as base:
                listing, bare_listing = list_rates(api, base, auth, args.seconds)
            lists = lists_at_once(
                {
                    "on": (api + "/api/v1/declarations", server_pid(port)),
                    "quiet": (quiet + "/api/v1/declarations", server_pid(quiet_port)),
                },
                args.seconds,
                auth,
            )
            body = work / "upload.multipart"
            boundary, _ = multipart_file(body, UPLOAD_MB * 1024 * 1024)
            pid = server_pid(port)
            content_type = f"multipart/form-data; boundary={boundary.decode()}"

            def upload_one() -> float:
                draft = call("POST", api + "/api/v1/declarations", {"itemCode": BIG_ITEM}, auth)
                url = f"{api}/api/v1/declarations/{draft['id']}/materials/BIG"
                return upload(url, body, content_type, auth)

            upload_one()  # warm-up: first-use allocations are not what an upload costs
            measured = [peak_growth(pid, upload_one) for _ in range(args.uploads)]
            writes = declaration_writes(api, env_stack.provincial_url, env, args.seconds)
        access_lines = sum(1 for line in shipped.open("rb") if b'"handheld.access"' in line)
        with server(bare, env, bare_port) as base:

            def raw_upload(sync: bool) -> float:
                url = base + "/raw-upload" + ("?sync=1" if sync else "")
                return upload(url, body, "application/octet-stream", {})

            raw_upload(sync=True)
            raw_runs = [(raw_upload(sync=True), raw_upload(sync=False)) for _ in range(5)]
            raw_s = statistics.median(synced for synced, _ in raw_runs)
            unsynced_s = statistics.median(unsynced for _, unsynced in raw_runs)
    size = body.stat().st_size
    print(
        f"  declarations_list: {listing:,.0f} req/s vs bare SQL handler {bare_listing:,.0f} req/s"
    )
    print(f"RESULT declarations_list ratio={listing / bare_listing:.2f} target>=0.85")
    (on, on_cpu), (quiet_rate, quiet_cpu) = lists["on"], lists["quiet"]
    print(
        f"  access_log_cost: list {on:,.0f} req/s with the access log on (JSON, shipped through "
        f"a pipe: {access_lines:,} lines) vs {quiet_rate:,.0f} req/s at WARNING, both loaded at "
        f"once; server CPU {on_cpu * 1e6:.0f} vs {quiet_cpu * 1e6:.0f} us per request "
        f"(ratio {quiet_cpu / on_cpu:.2f})"
    )
    print(f"RESULT access_log_cost ratio={on / quiet_rate:.2f} target>=0.9")
    growths = sorted(g for g, _ in measured)
    growth = statistics.median(growths)
    print(
        f"  upload_rss: {growth / 2**20:.1f} MB median peak growth for a {size / 2**20:.0f} MB "
        f"upload ({', '.join(f'{g / 2**20:.1f}' for g in growths)} MB over "
        f"{len(growths)} uploads after a warm-up)"
    )
    print(f"RESULT upload_rss ratio={growth / size:.3f} target<=0.05")
    ours_s = statistics.median(s for _, s in measured)
    print(
        f"  upload_throughput: {size / ours_s / 2**20:.0f} MB/s vs raw {size / raw_s / 2**20:.0f} "
        f"MB/s synced ({size / unsynced_s / 2**20:.0f} MB/s unsynced: ratio "
        f"{unsynced_s / ours_s:.2f})"
    )
    print(f"RESULT upload_throughput ratio={raw_s / ours_s:.2f} target>=0.5")
    print_writes(writes)
    body.unlink()


if __name__ == "__main__":
    main()
