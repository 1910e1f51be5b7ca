"""Shared bench plumbing: throwaway PostgreSQL/Valkey, the stand-ins, servers, and wrk.

A bench stopped by SIGTERM, SIGINT or SIGHUP unwinds (``core.processes.exit_on_signals``), so
every server it started is stopped and its directory removed; killed outright (SIGKILL), its
children are sent their stop signal by the kernel (``die_with_parent``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import asyncpg

from api.dev import DEV_OAUTH_CLIENT_ID, DEV_OAUTH_CLIENT_SECRET, DEV_OAUTH_ISSUER
from core.embedded import (
    EmbeddedPostgres,
    EmbeddedValkey,
    wait_for_port,
    wait_for_ports_file,
)
from core.migrate import apply_migrations
from core.pii import generate_keyset
from core.processes import die_with_parent, exit_on_signals, stop_group
from core.signing import SigningKeys

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Stack:
    env: dict[str, str]
    provincial_url: str

    @property
    def sms_url(self) -> str:
        return self.env["HANDHELD_SMS_BASE_URL"]


class _Ports(NamedTuple):
    provincial: int
    wechat: int
    sms: int
    apppush: int


@contextlib.contextmanager
def stack(*, stand_ins_nice: int = 0) -> Iterator[Stack]:
    """Embedded PostgreSQL and Valkey, migrated, plus the stand-ins; ``stand_ins_nice``: their
    scheduling priority (``nice``), for a bench whose stand-ins are busy enough to take the CPU
    our processes would have in production, where those systems run on other machines."""
    with exit_on_signals(), tempfile.TemporaryDirectory(prefix="handheld-bench-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg", durable=False)
        valkey = EmbeddedValkey(Path(tmp) / "valkey", durable=False)
        with contextlib.ExitStack() as servers:
            servers.callback(pg.stop)  # before it starts: a signal while it starts stops it too
            pg.start()
            servers.callback(valkey.stop)
            valkey.start()
            with _sandbox(Path(tmp), stand_ins_nice) as ports:
                yield _environment(Path(tmp), pg, valkey, ports)


@contextlib.contextmanager
def _sandbox(tmp: Path, nice: int) -> Iterator[_Ports]:
    # Every stand-in on a port of its own choosing (0), read back from the ports file: a port
    # picked here could be taken before the sandbox binds it, and a default port may be held by
    # another run (make dev, a second bench).
    ports_file = tmp / "sandbox-ports.json"
    sandbox = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            *("--provincial-port", "0", "--wechat-port", "0", "--sms-port", "0"),
            *("--apppush-port", "0", "--wechatpay-port", "0", "--hotline-port", "0"),
            *("--hallqueue-port", "0", "--postal-port", "0"),
            *("--ports-file", str(ports_file)),
            "--provincial-api-key",
            "bench-key",
            "--sms-api-key",
            "bench-sms-key",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        process_group=0,
        preexec_fn=_niced(nice, die_with_parent()),
    )
    try:
        ports = wait_for_ports_file(ports_file, 60, sandbox)
        yield _Ports(ports["provincial"], ports["wechat"], ports["sms"], ports["apppush"])
    finally:
        stop_group(sandbox)


def _niced(nice: int, then: Callable[[], None] | None) -> Callable[[], None] | None:
    """A ``preexec_fn`` lowering the child's priority by ``nice`` before ``then``: set before
    the child starts, so every thread it starts inherits it."""
    if not nice:
        return then

    def preexec() -> None:
        os.nice(nice)
        if then is not None:
            then()

    return preexec


def _environment(
    tmp: Path,
    pg: EmbeddedPostgres,
    valkey: EmbeddedValkey,
    ports: _Ports,
) -> Stack:
    keys_dir = tmp / "keys"
    keys_dir.mkdir()
    SigningKeys.generate(keys_dir)
    pii_keys, pii_current, pii_lookup = generate_keyset()
    asyncio.run(_create_and_migrate(pg.admin_url, pg.url("bench")))
    env = {
        **os.environ,
        "HANDHELD_ENV": "prod",
        "HANDHELD_DATABASE_URL": pg.url("bench"),
        "HANDHELD_REDIS_URL": valkey.url,
        "HANDHELD_PROVINCIAL_BASE_URL": f"http://127.0.0.1:{ports.provincial}",
        "HANDHELD_PROVINCIAL_API_KEY": "bench-key",
        "HANDHELD_WECHAT_BASE_URL": f"http://127.0.0.1:{ports.wechat}",
        "HANDHELD_SMS_BASE_URL": f"http://127.0.0.1:{ports.sms}",
        "HANDHELD_SMS_API_KEY": "bench-sms-key",
        # The stand-ins' default WeChat app and app push credentials.
        "HANDHELD_WECHAT_APPID": "wxdev000000000000",
        "HANDHELD_WECHAT_SECRET": "dev-wechat-secret",
        "HANDHELD_APPPUSH_BASE_URL": f"http://127.0.0.1:{ports.apppush}",
        "HANDHELD_APPPUSH_APP_KEY": "dev-apppush-key",
        "HANDHELD_APPPUSH_MASTER_SECRET": "dev-apppush-secret",
        # The stand-in's default OAuth client (any loopback redirect URI): real-name sign-in.
        "HANDHELD_PROVINCIAL_OAUTH_CLIENT_ID": DEV_OAUTH_CLIENT_ID,
        "HANDHELD_PROVINCIAL_OAUTH_CLIENT_SECRET": DEV_OAUTH_CLIENT_SECRET,
        "HANDHELD_PROVINCIAL_OAUTH_ISSUER": DEV_OAUTH_ISSUER,
        "HANDHELD_PROVINCIAL_OAUTH_REDIRECT_URI": "http://127.0.0.1/sso/return",
        "HANDHELD_PII_KEYS": pii_keys,
        "HANDHELD_PII_CURRENT_KEY_ID": pii_current,
        "HANDHELD_PII_LOOKUP_KEY": pii_lookup,
        "HANDHELD_AUTH_KEYS_DIR": str(keys_dir),
        # A bench stops its servers itself: no readiness drain to wait for.
        "HANDHELD_SHUTDOWN_DRAIN_S": "0",
    }
    return Stack(env=env, provincial_url=env["HANDHELD_PROVINCIAL_BASE_URL"])


async def _create_and_migrate(admin_url: str, url: str) -> None:
    admin = await asyncpg.connect(admin_url)
    await admin.execute('CREATE DATABASE "bench"')
    await admin.close()
    conn = await asyncpg.connect(url)
    await apply_migrations(conn)
    await conn.close()


@contextlib.contextmanager
def server(
    argv: list[str], env: dict[str, str], port: int, *, log: Path | None = None
) -> Iterator[str]:
    """A server process whose output (its logs, as shipped) goes into a pipe that a thread
    drains, as a container runtime or log shipper does, into ``log`` when given."""
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        process_group=0,
        preexec_fn=die_with_parent(),
    )
    assert process.stdout is not None
    drain = threading.Thread(target=_drain, args=(process.stdout.fileno(), log), daemon=True)
    drain.start()
    try:
        # Generous: several benches and test runs may share the machine while it starts.
        wait_for_port("127.0.0.1", port, 120, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_group(process)
        drain.join(10)
        process.stdout.close()


def _drain(fd: int, log: Path | None) -> None:
    out = log.open("ab") if log is not None else None
    try:
        while block := os.read(fd, 1 << 20):
            if out is not None:
                out.write(block)
    finally:
        if out is not None:
            out.close()


def wrk(
    url: str,
    *,
    seconds: int,
    connections: int = 32,
    headers: dict[str, str] | None = None,
    warm: bool = True,
) -> float:
    """Requests per second from wrk (one thread: the other core serves), after a second's
    warm-up unless ``warm`` is False."""
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is needed (Debian package `wrk`: apt-get install wrk)")
    header_args = [arg for k, v in (headers or {}).items() for arg in ("-H", f"{k}: {v}")]
    if warm:
        subprocess.run(
            ["wrk", "-t1", "-c8", "-d1s", *header_args, url],
            check=True,
            capture_output=True,
            preexec_fn=die_with_parent(),
        )
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", *header_args, url],
        check=True,
        capture_output=True,
        text=True,
        preexec_fn=die_with_parent(),
    ).stdout
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        raise RuntimeError(f"errors while loading {url}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def wrk_chained(url: str, *, seconds: int, script: Path, connections: int = 8) -> float:
    """Requests per second of a wrk Lua ``script`` whose requests follow from the previous
    answer (a rotated token, a draft's id): one connection per wrk thread, so each thread's
    Lua state is one chain of requests. No warm-up run: a chain's state would not survive it
    (warm the server with ``wrk`` first)."""
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is needed (Debian package `wrk`: apt-get install wrk)")
    out = subprocess.run(
        ["wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
        check=True,
        capture_output=True,
        text=True,
        preexec_fn=die_with_parent(),
    ).stdout
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out) or "chain broken" in out:
        raise RuntimeError(f"errors while loading {url}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def alternating(loads: dict[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    """Mean req/s of each load, run one after the other ``rounds`` times over (A B A B …):
    load that comes and goes on a shared machine then weighs on each alike, which one long
    run of A then one of B does not ensure."""
    rates: dict[str, list[float]] = {name: [] for name in loads}
    for _ in range(rounds):
        for name, load in loads.items():
            rates[name].append(load())
    return {name: statistics.mean(values) for name, values in rates.items()}


class Load(NamedTuple):
    url: str
    pid: int  # the server's process: its CPU time is read around the load
    headers: dict[str, str] | None = None


def at_once(
    loads: dict[str, Load], seconds: int, rounds: int = 2
) -> dict[str, tuple[float, float]]:
    """``{name: (req/s, server CPU seconds per request)}``, every server loaded at the same
    time (one wrk each), ``rounds`` times: on a shared machine, load that comes and goes then
    weighs on every server alike, which measuring one after the other does not ensure."""
    import psutil

    processes = {name: psutil.Process(load.pid) for name, load in loads.items()}
    rates: dict[str, list[float]] = {name: [] for name in loads}
    cpu: dict[str, list[float]] = {name: [] for name in loads}
    with ThreadPoolExecutor(len(loads)) as pool:
        for _ in range(rounds):
            before = {name: sum(p.cpu_times()[:2]) for name, p in processes.items()}
            running = {
                name: pool.submit(wrk, load.url, seconds=seconds, headers=load.headers)
                for name, load in loads.items()
            }
            for name, future in running.items():
                rate = future.result()
                used = sum(processes[name].cpu_times()[:2]) - before[name]
                rates[name].append(rate)
                # wrk warms up for a second before its measured run, at a lower rate.
                cpu[name].append(used / (rate * (seconds + 1)))
    return {name: (statistics.mean(rates[name]), statistics.mean(cpu[name])) for name in loads}


def server_pid(port: int) -> int:
    """The process serving on ``port`` (a child of this bench)."""
    import psutil

    return next(
        int(p.pid)
        for p in psutil.Process().children(recursive=True)
        if str(port) in p.cmdline() and "wrk" not in p.cmdline()[0]
    )


def result(name: str, value: float, baseline: float, target: float) -> None:
    ratio = value / baseline
    print(f"  {name}: {value:,.0f} req/s vs baseline {baseline:,.0f} req/s")
    print(f"RESULT {name} ratio={ratio:.2f} target>={target}")


def sync_catalogue(env: dict[str, str]) -> None:
    """Pull the stand-in's catalogue into the bench database (what the worker does)."""
    from api.composition import open_services
    from core.settings import load_settings

    async def run() -> None:
        async with open_services(load_settings(env)) as services:
            await services.catalog.sync()

    asyncio.run(run())
