"""`voicecast dev` for real: embedded Redis, migrations, web and a worker, stopped by Ctrl-C.

No mocks: these tests start the same processes a developer gets, then check through /proc that
stopping the supervisor leaves none of them behind.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from voicecast import embedded_redis
from voicecast.config import embedded_redis_socket

ROOT = Path(__file__).resolve().parents[1]
MARKER_KEY = "voicecast-test:survives-restart"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]


def dev_environment(instance: Path) -> dict[str, str]:
    """A user's environment with no services configured: everything embedded, calls simulated
    (on a free port, so that another simulator on this machine does not get in the way)."""
    unset = {"REDIS_URL", "DATABASE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
             "TWILIO_API_URL", "PUBLIC_BASE_URL"}  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env["VOICECAST_INSTANCE_PATH"] = str(instance)
    env["SIMULATOR_PORT"] = str(free_port())
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(url: str) -> tuple[int, dict] | None:
    """(status, JSON body) of GET url, or None if nothing answers."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        error.close()
        return error.code, {}
    except OSError:
        return None


def process_table() -> dict[int, tuple[int, str, str]]:
    """pid -> (ppid, state, start time) for every process, read from /proc/<pid>/stat."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), fields[0], fields[19])
    return table


def descendants(root: int) -> set[tuple[int, str]]:
    """(pid, start time) of every live process below `root`; start time tells pid reuse apart."""
    table = process_table()
    found: set[tuple[int, str]] = set()
    parents = {root}
    while parents:
        children = {pid for pid, (ppid, _, _) in table.items() if ppid in parents}
        found |= {(pid, table[pid][2]) for pid in children}
        parents = children - {root}
    return found


def still_running(processes: set[tuple[int, str]]) -> set[int]:
    table = process_table()
    return {
        pid
        for pid, started in processes
        if pid in table and table[pid][2] == started and table[pid][1] != "Z"
    }


def mentioning(text: str) -> set[int]:
    """Pids (other than ours) of live processes whose command line contains `text`."""
    pids = set()
    for pid, (_, state, _) in process_table().items():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if pid != os.getpid() and state != "Z" and text.encode() in cmdline:
            pids.add(pid)
    return pids


# Ctrl-C stops everything within this (issue 15: RQ's listener made it 10 s and a kill).
STOP_WITHIN_S = 5.0


class DevServer:
    """A running `python -m voicecast dev` (or `make run`, given its command line), its output
    collected by a thread."""

    def __init__(
        self,
        instance: Path,
        port: int,
        env: dict[str, str] | None = None,
        command: list[str] | None = None,
    ) -> None:
        env = dev_environment(instance) if env is None else env
        self.base_url = f"http://127.0.0.1:{port}"
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            command or [sys.executable, "-m", "voicecast", "dev", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.seen: set[tuple[int, str]] = set()  # every process we saw below the supervisor
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def remember_children(self) -> None:
        self.seen |= descendants(self.process.pid)

    def wait_healthy(self, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.remember_children()
            assert self.process.poll() is None, f"voicecast dev exited early:\n{self.output}"
            answer = get_json(self.base_url + "/healthz")
            if answer and answer[0] == 200:
                return answer[1]
            time.sleep(0.25)
        pytest.fail(f"/healthz not healthy within {timeout} s:\n{self.output}")

    def wait_for_output(self, text: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert time.monotonic() < deadline, f"{text!r} never printed:\n{self.output}"
            time.sleep(0.1)

    def interrupt(self, timeout: float = STOP_WITHIN_S) -> int:
        """Ctrl-C as a terminal sends it, to the foreground process group (the supervisor, and
        make when started by `make run`); the exit code, once every process below is gone."""
        self.remember_children()
        started = time.monotonic()
        os.killpg(self.process.pid, signal.SIGINT)
        deadline = started + timeout
        while self.process.poll() is None or still_running(self.seen):
            if time.monotonic() > deadline:
                pytest.fail(f"processes left {timeout} s after Ctrl-C:\n{self.output}")
            time.sleep(0.05)
        self._reader.join(timeout=5)
        assert "did not stop" not in self.output, self.output
        return self.process.returncode

    def close(self) -> None:
        """Whatever happened, leave no process or pipe behind."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for pid in still_running(self.seen):
            os.kill(pid, signal.SIGKILL)
        self._reader.join(timeout=5)
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "instance"


@pytest.fixture
def start_dev(instance: Path) -> Iterator:
    servers: list[DevServer] = []

    def start() -> DevServer:
        servers.append(DevServer(instance, free_port()))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def assert_all_gone(server: DevServer, instance: Path) -> None:
    assert server.seen, "no child process was ever seen"
    assert still_running(server.seen) == set(), f"left running:\n{server.output}"
    assert mentioning(str(instance)) == set()


def test_dev_runs_everything_and_ctrl_c_stops_it_all(start_dev, instance: Path) -> None:
    server = start_dev()
    health = server.wait_healthy()
    assert health["status"] == "ok"
    assert health["database"]["ok"] is True
    assert health["redis"]["ok"] is True

    server.wait_for_output("Voicecast is up and healthy")
    for expected in ("/api/v1/docs", "/healthz", "embedded, unix://", "SQLite in"):
        assert expected in server.output
    server.remember_children()
    # redis, web and worker.1 (migrate has finished), plus whatever those started
    assert len(server.seen) >= 3

    with Redis(unix_socket_path=str(embedded_redis_socket(instance))) as redis:
        redis.set(MARKER_KEY, "kept")

    # A second supervisor on the same instance folder must refuse, not share or steal Redis.
    env = dev_environment(instance)
    second = subprocess.run(
        [sys.executable, "-m", "voicecast", "dev", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode != 0
    assert "another `voicecast dev`" in second.stdout + second.stderr

    assert server.interrupt() == 0, server.output  # within STOP_WITHIN_S, nothing killed
    assert "all stopped" in server.output
    assert_all_gone(server, instance)

    redis_dir = embedded_redis.data_dir(instance)
    assert (redis_dir / "dump.rdb").is_file()  # Redis was stopped gently and saved its data
    assert not embedded_redis_socket(instance).exists()

    # Restart on the same folder: works, and Redis reloaded what was saved.
    again = start_dev()
    assert again.wait_healthy()["status"] == "ok"
    with Redis(unix_socket_path=str(embedded_redis_socket(instance))) as redis:
        assert redis.get(MARKER_KEY) == b"kept"
    assert again.interrupt() == 0, again.output
    assert_all_gone(again, instance)


def test_embedded_redis_starts_refuses_a_twin_and_clears_a_stale_socket(tmp_path: Path) -> None:
    socket_path = embedded_redis.prepare(tmp_path)
    # A socket file nobody listens on, as a SIGKILLed server leaves behind.
    with socket.socket(socket.AF_UNIX) as stale:
        stale.bind(str(socket_path))
    assert embedded_redis.prepare(tmp_path) == socket_path
    assert not socket_path.exists()

    log = tmp_path / "redis.log"
    with log.open("w") as out:
        server = subprocess.Popen(embedded_redis.build_argv(tmp_path), stdout=out, stderr=out)
    try:
        embedded_redis.wait_until_ready(socket_path, server, timeout=15)
        assert embedded_redis.ping(socket_path)
        with pytest.raises(embedded_redis.EmbeddedRedisError, match="already answers"):
            embedded_redis.prepare(tmp_path)
    finally:
        server.terminate()
        assert server.wait(10) == 0
    assert (embedded_redis.data_dir(tmp_path) / "dump.rdb").is_file()
    assert not embedded_redis.ping(socket_path)


def test_embedded_redis_failure_shows_its_log(tmp_path: Path) -> None:
    socket_path = embedded_redis.prepare(tmp_path)
    log = tmp_path / "redis.log"
    argv = [*embedded_redis.build_argv(tmp_path), "--no-such-directive", "1"]
    with log.open("w") as out:
        server = subprocess.Popen(argv, stdout=out, stderr=out)
    try:
        with pytest.raises(embedded_redis.EmbeddedRedisError) as failure:
            embedded_redis.wait_until_ready(
                socket_path, server, log_tail=lambda: log.read_text().splitlines()
            )
    finally:
        server.wait(10)
    assert "exited with code" in str(failure.value)
    assert "no-such-directive" in str(failure.value)


def test_make_run_stops_everything_within_5_seconds_of_ctrl_c(instance: Path) -> None:
    """The README's `make run`, with this suite's environment as its virtual environment."""
    venv = Path(sys.prefix)
    port = free_port()
    server = DevServer(
        instance,
        port,
        command=[
            "make",
            "--no-print-directory",
            "-o",
            str(venv / ".installed"),
            "run",
            f"VENV={venv}",
            f"RUN_ARGS=--port {port}",
        ],
    )
    try:
        assert server.wait_healthy()["status"] == "ok"
        server.wait_for_output("Voicecast is up and healthy")
        server.interrupt()  # make itself exits non-zero on an interrupt, as it should
        assert "all stopped" in server.output
        assert_all_gone(server, instance)
    finally:
        server.close()
