"""`voicecast dev`: run Redis, migrations, the web app and RQ workers together, like foreman.

Children run in their own sessions, so a terminal Ctrl-C reaches only this supervisor, which stops
them in order: app processes first, Redis last (it saves its RDB on SIGTERM). On Linux children
get a parent-death signal (a SIGKILLed supervisor leaves nothing running) and the supervisor is a
subreaper, so what children leave behind (RQ work horses) comes back to it and is killed.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

from voicecast import embedded_redis
from voicecast.config import default_redis_url
from voicecast.proc import (
    PR_SET_CHILD_SUBREAPER,
    child_pids,
    load_prctl,
    parent_death_signal_setter,
    signal_group,
)

PREFIX_WIDTH = 8
GRACE_SECONDS = 10.0
POLL_SECONDS = 0.1
COLORS = ("36", "33", "32", "35", "34", "31", "96", "92", "95", "94")


@dataclass(frozen=True)
class ChildSpec:
    """A process to supervise: `name` prefixes its output; `stop_last` ones (Redis) stop last."""

    name: str
    argv: Sequence[str]
    stop_last: bool = False


def app_children(host: str, port: int, workers: int) -> list[ChildSpec]:
    """The long-running app processes, started once migrations have succeeded.

    More processes (the carrier simulator) are added the same way: one more ChildSpec here, or
    passed to `run_dev(extra_children=...)`.
    """
    python = sys.executable
    web = [python, "-m", "voicecast", "run", "--host", host, "--port", str(port)]
    web += ["--no-reload", "--no-debugger", "--with-threads"]
    worker_specs = [ChildSpec(f"worker.{n + 1}", [python, "-m", "workers"]) for n in range(workers)]
    return [ChildSpec("web", web), *worker_specs]


MIGRATE = ChildSpec("migrate", [sys.executable, "-m", "voicecast", "db", "upgrade"])


@dataclass
class Child:
    """A started ChildSpec, the thread relaying its output, and its last output lines."""

    spec: ChildSpec
    process: subprocess.Popen[str]
    reader: threading.Thread
    tail: deque[str]


def run_dev(
    *,
    instance_path: Path,
    host: str,
    port: int,
    workers: int,
    env: dict[str, str],
    extra_children: Sequence[ChildSpec] = (),
    banner_notes: Sequence[str] = (),
) -> int:
    """Run Redis, migrations, web and workers until Ctrl-C; returns the CLI's exit code.

    `extra_children` (the carrier simulator) start after the app; `banner_notes` are extra lines
    for the banner (e.g. that calls are simulated).

    0 after a requested stop (SIGINT or SIGTERM), non-zero if Redis or the migrations failed or
    a long-running child exited on its own. `env` itself is left unchanged.
    """
    instance_path = Path(instance_path).absolute()
    embedded = not env.get("REDIS_URL")  # empty counts as unset, as in voicecast.config
    child_env = child_environment(env, instance_path, embedded)
    # Signed media URLs and the carrier's webhooks must reach this very server.
    child_env.setdefault("PUBLIC_BASE_URL", local_url(host, port))
    prctl = load_prctl()
    supervisor = Supervisor(child_env, prctl, color=sys.stdout.isatty())
    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, supervisor.on_signal) for sig in handled}
    if prctl is not None:
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    try:
        if problem := port_problem(host, port):
            supervisor.say(problem)
            return 1
        if embedded and not supervisor.start_redis(instance_path):
            return 1
        if (code := supervisor.run_to_completion(MIGRATE)) is None:
            return supervisor.acknowledge_stop()
        if code != 0:
            return code
        long_running = [c for c in supervisor.children if c.spec.stop_last]
        for spec in [*app_children(host, port, workers), *extra_children]:
            long_running.append(supervisor.spawn(spec))
        redis = ("embedded, " if embedded else "") + redact(child_env["REDIS_URL"])
        database = redact(env.get("DATABASE_URL") or "")
        database = database or f"SQLite in {instance_path / 'voicecast.sqlite3'}"
        supervisor.announce_when_up(local_url(host, port), redis, database, banner_notes)
        return supervisor.watch(long_running)
    finally:
        supervisor.shutdown()
        if prctl is not None:
            prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def child_environment(env: dict[str, str], instance_path: Path, embedded: bool) -> dict[str, str]:
    """The children's environment: `env` plus where the instance and Redis are, unbuffered."""
    child_env = dict(env, VOICECAST_INSTANCE_PATH=str(instance_path), PYTHONUNBUFFERED="1")
    if embedded:
        child_env["REDIS_URL"] = default_redis_url(instance_path)
    return child_env


class Supervisor:
    """Starts children, relays their output, and stops them all in a safe order."""

    def __init__(self, env: dict[str, str], prctl: Callable[..., int] | None, color: bool):
        self.env = env
        self.children: list[Child] = []
        self.stop_signal: int | None = None
        self.stopping = False
        self._color = color
        self._colors: dict[str, str] = {}
        self._output_lock = threading.Lock()
        self._preexec = parent_death_signal_setter(prctl)
        self._foreign = set(child_pids())  # the caller's own children are none of our business

    def emit(self, name: str, text: str) -> None:
        """Print `text` as one line behind the fixed-width `name` prefix (safe from any thread)."""
        prefix = f"{name:<{PREFIX_WIDTH}}| "
        if self._color:
            code = self._colors.setdefault(name, COLORS[len(self._colors) % len(COLORS)])
            prefix = f"\033[{code}m{prefix}\033[0m"
        with self._output_lock:
            try:
                sys.stdout.write(prefix + text + "\n")
                sys.stdout.flush()
            except (OSError, ValueError):
                pass  # our stdout is gone; keep draining the children's pipes regardless

    def say(self, text: str) -> None:
        for line in text.splitlines():
            self.emit("dev", line)

    def spawn(self, spec: ChildSpec) -> Child:
        """Start `spec` in its own session, relaying its stdout+stderr line by line."""
        # Called from the main thread only: the parent-death signal fires when the *thread* that
        # forked the child exits, and the main thread exits only with the process.
        process = subprocess.Popen(
            list(spec.argv),
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
            preexec_fn=self._preexec,
        )
        tail: deque[str] = deque(maxlen=50)
        reader = threading.Thread(target=self._relay, args=(spec.name, process, tail), daemon=True)
        child = Child(spec, process, reader, tail)
        self.children.append(child)
        reader.start()
        return child

    def _relay(self, name: str, process: subprocess.Popen[str], tail: deque[str]) -> None:
        assert process.stdout is not None
        with process.stdout:
            for raw in process.stdout:
                tail.append(raw.rstrip("\r\n"))
                self.emit(name, tail[-1])

    def start_redis(self, instance_path: Path) -> bool:
        """Start the embedded Redis and wait until it answers; False (and say why) if it fails."""
        try:
            socket_path = embedded_redis.prepare(instance_path)
            child = self.spawn(ChildSpec("redis", embedded_redis.build_argv(instance_path), True))

            def log_tail() -> list[str]:
                if child.process.poll() is not None:
                    child.reader.join(timeout=1)  # let the relay catch up with a dead server
                return list(child.tail)

            embedded_redis.wait_until_ready(socket_path, child.process, log_tail=log_tail)
        except embedded_redis.EmbeddedRedisError as error:
            self.say(f"cannot start Redis: {error}")
            return False
        return True

    def run_to_completion(self, spec: ChildSpec) -> int | None:
        """Run `spec` to its end: its exit code (made positive), or None if asked to stop first."""
        child = self.spawn(spec)
        while child.process.poll() is None:
            if self.stop_signal is not None:
                return None
            time.sleep(POLL_SECONDS)
        child.reader.join(timeout=2)  # show all of its output before whatever comes next
        if (code := child.process.returncode) != 0:
            self.say(f"{spec.name} failed with exit code {code}, stopping")
        return code if code >= 0 else 1

    def watch(self, long_running: Sequence[Child]) -> int:
        """Wait for a stop request (returns 0) or for a child to exit on its own (non-zero)."""
        while self.stop_signal is None:
            for child in long_running:
                if (code := child.process.poll()) is not None:
                    how = f"with code {code}" if code >= 0 else f"on {signal.strsignal(-code)}"
                    self.say(f"{child.spec.name} exited on its own {how}, stopping everything")
                    return code if code > 0 else 1
            time.sleep(POLL_SECONDS)
        return self.acknowledge_stop()

    def acknowledge_stop(self) -> int:
        """Say that a stop was requested and return the exit code for that case."""
        name = signal.Signals(self.stop_signal or signal.SIGTERM).name
        self.say(f"got {name}, stopping (press Ctrl-C again to kill everything at once)")
        return 0

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        """SIGINT/SIGTERM: the first asks for an orderly stop, any later one kills everything.

        Nothing is printed here: the main thread may be halfway through a write to stdout.
        """
        if self.stop_signal is not None or self.stopping:
            for child in self.children:
                if child.process.returncode is None:
                    signal_group(child.process.pid, signal.SIGKILL)
        self.stop_signal = self.stop_signal or signum

    def shutdown(self) -> None:
        """Stop the app children, then Redis, then anything they left behind. Idempotent."""
        if self.stopping:
            return
        self.stopping = True
        self._stop([c for c in self.children if not c.spec.stop_last])
        self._kill_orphans()
        self._stop([c for c in self.children if c.spec.stop_last])
        self._kill_orphans()
        for child in self.children:
            child.reader.join(timeout=2)
        self.say("all stopped")

    def _stop(self, children: list[Child]) -> None:
        """SIGTERM `children`, give them GRACE_SECONDS to exit, then SIGKILL the rest."""
        running = [c for c in children if c.process.poll() is None]
        for child in running:
            signal_group(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        while any(c.process.poll() is None for c in running) and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
        for child in running:
            if child.process.poll() is None:
                self.say(f"{child.spec.name} did not stop within {GRACE_SECONDS:g} s, killing it")
                signal_group(child.process.pid, signal.SIGKILL)
            child.process.wait()

    def _kill_orphans(self) -> None:
        """SIGKILL and reap processes re-parented to us that are not children we started."""
        for _ in range(5):  # killing an orphan may orphan its own children in turn
            ours = {c.process.pid for c in self.children if c.process.returncode is None}
            orphans = [pid for pid in child_pids() if pid not in ours | self._foreign]
            if not orphans:
                return
            for pid in orphans:
                self.say(f"killing leftover process {pid}")
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)

    def announce_when_up(
        self, base_url: str, redis: str, database: str, notes: Sequence[str] = ()
    ) -> None:
        """Print the banner, from a background thread, as soon as /healthz answers at all."""

        def poll() -> None:
            while self.stop_signal is None and not self.stopping:
                if (status := probe(base_url + "/healthz")) is not None:
                    lines = banner_lines(base_url, status, redis, database, notes)
                    self.say("\n".join(lines))
                    return
                time.sleep(0.25)

        threading.Thread(target=poll, name="banner", daemon=True).start()


def banner_lines(
    base_url: str, status: int, redis: str, database: str, notes: Sequence[str] = ()
) -> list[str]:
    """What `voicecast dev` serves, printed once the web app answers."""
    state = "up and healthy" if status == 200 else f"up, but /healthz answered HTTP {status}"
    links = {"Web app": "/", "API": "/api/v1", "API docs": "/api/v1/docs", "Health": "/healthz"}
    rows = [(label, base_url + path) for label, path in links.items()]
    rows += [("Redis", redis), ("Database", database)]
    lines = [f"  {label:<9} {value}" for label, value in rows]
    return [f"Voicecast is {state}:", *lines, *notes, "Press Ctrl-C to stop."]


def local_url(host: str, port: int) -> str:
    """Base URL to reach a server listening on host:port from this machine."""
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def probe(url: str, timeout: float = 2.0) -> int | None:
    """HTTP status of GET `url`, or None if nothing answers there (yet)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code
    except (OSError, http.client.HTTPException):
        return None


def port_problem(host: str, port: int) -> str | None:
    """Why the web app could not listen on host:port, or None if a test bind succeeds."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.create_server((host, port), family=family):
            return None
    except OSError as error:
        return f"cannot listen on {host}:{port}: {error.strerror or error}"


def redact(url: str) -> str:
    """`url` with its password, if any, replaced by *** for display."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, hostinfo = parts.netloc.rsplit("@", 1)
    return parts._replace(netloc=f"{userinfo.split(':', 1)[0]}:***@{hostinfo}").geturl()
