"""The faults of the chaos runs (tests/test_campaign_chaos.py, bench/chaos.py): a Redis of their
own killed and restarted from its files, `python -m workers` processes SIGKILLed (at random, in
the middle of a dial request, or the one holding RQ's scheduler), and a carrier that fails,
stalls or is cut off on the create-call request, with every outcome the simulator offers
scripted per number and per call."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

from redis import Redis
from werkzeug.serving import make_server

from voicecast import embedded_redis
from voicecast.config import default_redis_url
from voicecast.proc import child_pids
from voicecast.simulator import outcomes
from voicecast.simulator.engine import Simulator, SimulatorConfig
from voicecast.simulator.outcomes import OutcomeRules, Verdict
from voicecast.simulator.rest import create_simulator_app

# What the carrier does with a create-call request, besides taking it normally ("ok"):
SLOW = "slow"  # takes the call, answers after our client gave up waiting (timeout)
KILL_AFTER = "kill_after"  # takes the call, then the worker sending the request is SIGKILLed
KILL_BEFORE = "kill_before"  # the worker is SIGKILLed before the carrier takes the call
UNAVAILABLE = "503_before"  # 503 without taking the call
ERROR_AFTER = "500_after"  # takes the call, answers 500
RATE_LIMITED = "429"  # 429 / 20429, the call not taken
INVALID = "invalid"  # 400 / 21211 on every request: the number cannot be called
REQUEST_FAULTS = (SLOW, KILL_AFTER, KILL_BEFORE, UNAVAILABLE, ERROR_AFTER, RATE_LIMITED)
TAKES_THE_CALL = {"ok", SLOW, KILL_AFTER, ERROR_AFTER}
SPREAD = 11  # numbers between the first of each fault: more than a dial batch (DIAL_BATCH_MAX)


class RedisServer:
    """A Redis of the run's own on a unix socket, persisting to its folder as asked: "rdb"
    (the embedded Redis's snapshots: a kill loses what came after the last one) or "aof"
    (every write appended and synced)."""

    def __init__(self, folder: Path, persistence: str = "rdb"):
        self.folder, self.persistence = folder, persistence
        self.process: subprocess.Popen | None = None
        self.url = default_redis_url(folder)

    def argv(self) -> list[str]:
        argv = embedded_redis.build_argv(self.folder)
        if self.persistence == "aof":
            return [*argv, "--appendonly", "yes", "--appendfsync", "always"]
        return argv

    def start(self) -> None:
        socket_path = embedded_redis.prepare(self.folder)
        self.process = subprocess.Popen(
            self.argv(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        embedded_redis.wait_until_ready(socket_path, self.process)

    def snapshot(self) -> None:
        """Write the RDB file now (what a restart of an "rdb" Redis comes back to)."""
        with Redis.from_url(self.url) as connection:
            connection.save()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def restart(self) -> None:
        """SIGKILL, then start again from the files on disk."""
        self.kill()
        self.start()


class Workers:
    """`python -m workers` processes, replaced as they are killed; thread-safe (the carrier's
    request threads kill too)."""

    def __init__(self, env: dict[str, str], log: Path, count: int):
        self.env, self.log, self.count = env, log.open("ab"), count
        self.processes: list[subprocess.Popen] = []
        self.lock = threading.RLock()
        self.kills: Counter[str] = Counter()
        self.started: dict[int, float] = {}
        self.hold_replacements = False

    def start_one(self) -> None:
        with self.lock:
            process = subprocess.Popen(
                [sys.executable, "-m", "workers"], env=self.env, stdout=self.log, stderr=self.log
            )
            self.processes.append(process)
            self.started[process.pid] = time.monotonic()

    def fill(self) -> None:
        """Start workers until `count` run (unless replacements are held)."""
        with self.lock:
            self.processes = [p for p in self.processes if p.poll() is None]
            while not self.hold_replacements and len(self.processes) < self.count:
                self.start_one()

    def pids(self) -> list[int]:
        with self.lock:
            return [p.pid for p in self.processes if p.poll() is None]

    def kill(self, pid: int, why: str, scheduler_too: bool = False) -> None:
        """SIGKILL the worker `pid` (and its scheduler process: a machine gone, nothing
        releases its locks) and start another in its place."""
        with self.lock:
            found = [p for p in self.processes if p.pid == pid and p.poll() is None]
            if not found:
                return
            schedulers = child_pids(pid) if scheduler_too else []
            found[0].send_signal(signal.SIGKILL)
            for child in schedulers:
                os.kill(child, signal.SIGKILL)
            found[0].wait()
            self.kills[why] += 1
            self.fill()

    def kill_random(self, rng: random.Random, min_age_s: float = 20.0) -> None:
        """SIGKILL a worker up for `min_age_s` at least, while another is up too: a worker
        takes 10-15 s to start on a loaded 2-core machine, and killing each as it gets ready
        would measure the machine, not the recovery."""
        pids = self.up(min_age_s)
        if len(pids) > 1:
            self.kill(rng.choice(pids), "random")

    def up(self, min_age_s: float = 20.0) -> list[int]:
        """The workers started `min_age_s` ago at least (so ready by now)."""
        with self.lock:
            now = time.monotonic()
            return [pid for pid in self.pids() if now - self.started[pid] >= min_age_s]

    def scheduling(self) -> list[int]:
        """The workers running a scheduler process (a fork of its worker)."""
        return [pid for pid in self.pids() if child_pids(pid)]

    def stop(self) -> None:
        with self.lock:
            self.hold_replacements = True
            for process in self.processes:
                process.send_signal(signal.SIGKILL)
                process.wait()
        self.log.close()


def pid_of_connection(pids: list[int], port: int) -> int | None:
    """Which of `pids` holds the local TCP `port` (the client end of a request to us)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return pid
        except OSError:
            continue
    return None


class ScriptedOutcomes(OutcomeRules):
    """The simulator's outcome rules with a script per number: its n-th call goes the n-th
    way (the last repeats)."""

    def __init__(self, scripts: dict[str, list[str]]):
        super().__init__("digit")
        self.scripts = scripts
        self.calls: Counter[str] = Counter()

    def decide(self, to: str) -> Verdict:
        script = self.scripts.get(to)
        if not script:
            return super().decide(to)
        with self._lock:
            index = self.calls[to]
            self.calls[to] += 1
        return Verdict(script[min(index, len(script) - 1)], f"script call {index + 1}")


class FaultyCarrier:
    """The simulator behind a WSGI layer failing create-call requests as scripted per number
    and per request (the n-th request to a number meets its n-th fault; "ok" once past them)."""

    def __init__(self, config: SimulatorConfig, faults: dict[str, list[str]], workers: Workers,
                 slow_seconds: float):  # fmt: skip
        self.simulator = Simulator(config)
        self.faults, self.workers, self.slow_seconds = faults, workers, slow_seconds
        self.requests: Counter[str] = Counter()
        self.met: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.app = create_simulator_app(self.simulator)
        self.app.wsgi_app = self.layer(self.app.wsgi_app)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def fault_for(self, to: str) -> str:
        with self.lock:
            index = self.requests[to]
            self.requests[to] += 1
        script = self.faults.get(to, [])
        fault = script[index] if index < len(script) else "ok"
        if script == [INVALID]:
            fault = INVALID
        with self.lock:
            self.met[fault] += 1
        return fault

    def layer(self, wsgi_app: Callable) -> Callable:
        def faulty(environ, start_response):
            if environ["REQUEST_METHOD"] != "POST" or not environ["PATH_INFO"].endswith(
                "/Calls.json"
            ):
                return wsgi_app(environ, start_response)
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            fault = self.fault_for(parse_qs(body.decode()).get("To", [""])[0])
            environ["wsgi.input"] = _Body(body)
            if fault == KILL_BEFORE:
                self.kill_sender(environ)
            if fault not in TAKES_THE_CALL:
                return self.refuse(fault, start_response)
            kept = _Keep()
            answer = list(wsgi_app(environ, kept))  # the call is taken
            if fault == KILL_AFTER:
                self.kill_sender(environ)
            elif fault == SLOW:
                time.sleep(self.slow_seconds)
            elif fault == ERROR_AFTER:
                return self.refuse(fault, start_response)
            start_response(kept.status, kept.headers)
            return answer

        return faulty

    def kill_sender(self, environ) -> None:
        """SIGKILL the worker sending this request, if another is up to carry on (as under a
        supervisor that restarts workers; else the request just goes on)."""
        pid = pid_of_connection(self.workers.pids(), int(environ["REMOTE_PORT"]))
        if pid is not None and [other for other in self.workers.up() if other != pid]:
            self.workers.kill(pid, "during a dial request")

    @staticmethod
    def refuse(fault: str, start_response) -> list[bytes]:
        status, code, message = {
            RATE_LIMITED: (429, 20429, "Too Many Requests"),
            INVALID: (400, 21211, "Invalid 'To' Phone Number"),
            ERROR_AFTER: (500, 20500, "Internal Server Error"),
        }.get(fault, (503, 20503, "Service Unavailable"))
        body = json.dumps({"code": code, "message": message, "status": status}).encode()
        start_response(f"{status} ERROR", [("Content-Type", "application/json")])
        return [body]

    def ledger_by_number(self) -> dict[str, list]:
        calls = defaultdict(list)
        for call in self.simulator.ledger.all():
            calls[call.to].append(call)
        return calls

    def live_calls(self) -> int:
        return self.simulator.stats()["live"] + self.simulator.stats()["queued"]

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()
        self.simulator.close()


class _Body:
    """A request body read already, given back to the app."""

    def __init__(self, data: bytes):
        self.data, self.position = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size is None or size < 0 else self.position + size
        chunk = self.data[self.position : end]
        self.position += len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


class _Keep:
    """A start_response keeping the simulator's answer for the layer to send, or not."""

    status, headers = "500 INTERNAL SERVER ERROR", []

    def __call__(self, status, headers, exc_info=None):
        self.status, self.headers = status, headers
        return lambda data: None


def scripts(phones: list[str], max_attempts: int, rng: random.Random, fault_share: float,
            invalid: int) -> tuple[dict[str, list[str]], dict[str, list[str]]]:  # fmt: skip
    """Per number: the outcomes of its calls (each call drawn among every outcome the
    simulator offers, so one number may be busy, then a machine), and the faults its
    create-call requests meet (`fault_share` of the numbers meet one, the first `invalid`
    numbers are refused as invalid)."""
    outcome_scripts = {
        phone: [rng.choice(outcomes.OUTCOMES) for _ in range(max_attempts)] for phone in phones
    }
    # Every outcome met at least once on a first call.
    for phone, outcome in zip(phones[invalid:], outcomes.OUTCOMES, strict=False):
        outcome_scripts[phone][0] = outcome
    fault_scripts = {phone: [INVALID] for phone in phones[:invalid]}
    for index, phone in enumerate(phones[invalid:]):
        if index % SPREAD == 0 and index // SPREAD < len(REQUEST_FAULTS):
            # Every fault met at least once, each in a dial batch of its own.
            fault_scripts[phone] = [REQUEST_FAULTS[index // SPREAD]]
        elif rng.random() < fault_share:
            fault_scripts[phone] = [rng.choice(REQUEST_FAULTS)]
    return outcome_scripts, fault_scripts
