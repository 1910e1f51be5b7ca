"""Declarations: the my-declarations list, and streamed material uploads.

    uv run python bench/declarations.py [--seconds 8]

- `declarations_list`: GET /api/v1/declarations (authenticated, 20 rows) req/s, divided by a
  bare Litestar handler that runs the same SQL through asyncpg and returns the rows as JSON
  (`bench/bare_sql.py`), same server settings, same run.
- `upload_rss`: peak RSS growth of the API process while a 50 MB file is uploaded, divided by
  the file size (streaming means it stays a small fraction).
- `upload_throughput`: bytes/s of that upload through our endpoint (multipart parsing, type
  sniffing, SHA-256, storage), divided by a raw endpoint writing the request body to a file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, server, stack, wrk
from core.embedded import free_port

PHONE = "13800138001"
UPLOAD_MB = 50
BIG_ITEM = "BENCH-UPLOAD-001"


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


def peak_rss_during(pid: int, action) -> tuple[int, int, float]:  # type: ignore[no-untyped-def]
    process = psutil.Process(pid)
    before = process.memory_info().rss
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        seconds = action()
    finally:
        done.set()
        sampler.join()
    return before, peak[0], seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    work = ROOT / ".handheld" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    with stack() as env_stack:
        env = {**env_stack.env, "HANDHELD_STORAGE_LOCAL_ROOT": str(work / "materials")}
        port = free_port()
        serve = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
        with server(serve, env, port) as api:
            token, citizen_id = sign_in(api, env_stack.sms_url)
            auth = {"Authorization": f"Bearer {token}"}
            big_item(env_stack.provincial_url, api)
            from bench.harness import sync_catalogue

            sync_catalogue(env)
            for _ in range(20):
                call("POST", api + "/api/v1/declarations", {"itemCode": BIG_ITEM}, auth)
            listing = wrk(api + "/api/v1/declarations", seconds=args.seconds, headers=auth)
            draft = call("POST", api + "/api/v1/declarations", {"itemCode": BIG_ITEM}, auth)
            body = work / "upload.multipart"
            boundary, _ = multipart_file(body, UPLOAD_MB * 1024 * 1024)
            pid = next(
                p.pid
                for p in psutil.Process().children(recursive=True)
                if "serve" in " ".join(p.cmdline()) and str(port) in p.cmdline()
            )
            url = f"{api}/api/v1/declarations/{draft['id']}/materials/BIG"
            content_type = f"multipart/form-data; boundary={boundary.decode()}"
            before, peak, ours_s = peak_rss_during(
                pid, lambda: upload(url, body, content_type, auth)
            )
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
            bare_listing = wrk(base + "/declarations", seconds=args.seconds)
            raw_s = upload(base + "/raw-upload", body, "application/octet-stream", {})
    size = body.stat().st_size
    print(
        f"  declarations_list: {listing:,.0f} req/s vs bare SQL handler {bare_listing:,.0f} req/s"
    )
    print(f"RESULT declarations_list ratio={listing / bare_listing:.2f} target>=0.85")
    growth = max(0, peak - before)
    print(f"  upload_rss: {growth / 2**20:.1f} MB peak growth for a {size / 2**20:.0f} MB upload")
    print(f"RESULT upload_rss ratio={growth / size:.3f} target<=0.05")
    print(
        f"  upload_throughput: {size / ours_s / 2**20:.0f} MB/s vs raw {size / raw_s / 2**20:.0f} MB/s"
    )
    print(f"RESULT upload_throughput ratio={raw_s / ours_s:.2f} target>=0.5")
    body.unlink()


if __name__ == "__main__":
    main()
