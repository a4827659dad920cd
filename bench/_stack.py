"""Processes the benchmarks start and watch: a free loopback port, subprocesses that die with
us, waiting until something answers, a small JSON HTTP client, and CPU time accounting (our
own and our children's through getrusage, any process tree's through /proc)."""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from _common import ROOT, redis_server, scratch_database

from voicecast.proc import child_pids, load_prctl, parent_death_signal_setter
from voicecast.simulator.engine import Timings

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http(method: str, url: str, headers: dict | None = None, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def wait_for(
    what: str,
    ready: Callable[[], object],
    timeout: float,
    processes: list[subprocess.Popen],
    every: float = 0.1,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise SystemExit(f"a process exited while waiting for {what}")
        try:
            if ready():
                return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(every)
    raise SystemExit(f"timed out waiting for {what}")


def spawn(argv: list[str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            argv,
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=parent_death_signal_setter(load_prctl()),  # none left if we are killed
        )


def stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM (RQ's warm shutdown, gunicorn's graceful stop), then SIGKILL after 15 s."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def cpu_seconds(who: int) -> float:
    """User + system CPU seconds of `resource.RUSAGE_SELF` or (waited-for) RUSAGE_CHILDREN."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a running process so far (0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()  # the name may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def children_of(pid: int) -> list[int]:
    """Live child processes of `pid` (e.g. gunicorn's workers)."""
    return sorted(child_pids(pid))


def pids_named(name: str) -> list[int]:
    """Live processes whose command name is `name` (e.g. every PostgreSQL backend)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == name:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


class MachineCpu(NamedTuple):
    """CPU seconds of the whole machine since boot, from /proc/stat."""

    busy: float  # user, nice, system, irq, softirq (guest time is already counted in user)
    iowait: float  # idle, waiting for the disk
    steal: float  # taken by the hypervisor for other guests
    total: float


def machine_cpu() -> MachineCpu:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = values[:8]
    busy = user + nice + system + irq + softirq
    return MachineCpu(
        *(ticks / CLOCK_TICKS for ticks in (busy, iowait, steal, busy + idle + iowait + steal))
    )


def cpu_settled(pids: list[int], period: float = 0.5) -> Callable[[], bool]:
    """A check for `wait_for`: true once none of `pids` used any CPU over `period` seconds
    (e.g. gunicorn workers that have finished importing the app and wait for requests)."""
    last: dict = {"at": 0.0, "cpu": None}

    def check() -> bool:
        now = time.monotonic()
        if now - last["at"] < period:
            return False
        cpu = [process_cpu(pid) for pid in pids]
        settled = cpu == last["cpu"]
        last.update(at=now, cpu=cpu)
        return settled

    return check


# Call phases of the simulator sped up for benchmarks (seconds).
FAST_CALLS = Timings(initiate=0.02, ring=0.05, busy=0.05, no_answer=0.1, human_detection=0.02,
                     greeting=0.05, play_factor=0.02)  # fmt: skip
Run = Callable[[argparse.Namespace, Path, str, str], int]


def run_in_scratch(args: argparse.Namespace, run: Run) -> int:
    """`run(args, instance, database_url, redis_url)` in a temporary instance folder, with a
    fresh database (`args.database_url`) and Redis (`args.redis_url`, else a private one)."""
    with tempfile.TemporaryDirectory(prefix="vc-bench-") as folder:
        instance = Path(folder)
        with (
            redis_server(args.redis_url, instance) as redis_url,
            scratch_database(args.database_url, instance) as database_url,
        ):
            return run(args, instance, database_url, redis_url)


class Prepared(NamedTuple):
    app: object  # the Flask app, for reading the database afterwards
    tenant: object  # _common.Tenant
    port: int
    base: str


def prepare_app(
    instance: Path, database_url: str, redis_url: str, simulator_url: str, credentials: tuple,
    cps: float, contacts: int, message_seconds: float = 2.0,
) -> Prepared:  # fmt: skip
    """Point our app (and the processes it will start) at the database, Redis and simulator
    (`credentials`: account sid and auth token), on a free port; write a tenant (its message
    lasting `message_seconds`) and its `contacts`; leave no connection open."""
    from _common import insert_contacts, make_tenant, point_environment

    from voicecast import create_app
    from voicecast.extensions import db

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sid, token = credentials
    point_environment(
        database_url, redis_url, instance, PUBLIC_BASE_URL=base, TWILIO_API_URL=simulator_url,
        TWILIO_ACCOUNT_SID=sid, TWILIO_AUTH_TOKEN=token, TWILIO_CALLS_PER_SECOND=repr(cps),
    )  # fmt: skip
    app = create_app()
    tenant = make_tenant(app, message_seconds=message_seconds)
    insert_contacts(app, tenant, contacts)
    with app.app_context():
        db.engine.dispose()
    return Prepared(app, tenant, port, base)


def start_web_and_workers(
    port: int, web_workers: int, web_threads: int, workers: int, logs: Path
) -> list[subprocess.Popen]:
    """gunicorn (first in the list) and `workers` RQ worker processes, logging into `logs`."""
    gunicorn = [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}"]
    gunicorn += ["--workers", str(web_workers), "--threads", str(web_threads)]
    processes = [spawn(gunicorn, logs / "web.log")]
    for n in range(workers):
        processes.append(spawn([sys.executable, "-m", "workers"], logs / f"worker-{n}.log"))
    return processes


def wait_until_serving(
    base: str, redis_url: str, workers: int, processes: list[subprocess.Popen]
) -> None:
    """Until the web server answers /healthz and `workers` RQ workers have registered."""
    from redis import Redis
    from rq import Worker

    redis = Redis.from_url(redis_url)
    try:
        wait_for("the web server", lambda: http("GET", f"{base}/healthz"), 90, processes)
        wait_for(
            f"{workers} workers",
            lambda: len(Worker.all(connection=redis)) >= workers,
            90,  # a loaded 2-core machine takes 10-15 s per process
            processes,
        )
    finally:
        redis.close()


def campaign_body(name: str, recording_id: int, cps: float, max_in_flight: int) -> dict:
    """A campaign playing one recording to everyone once, with a window open all day."""
    return {
        "name": name,
        "audience": {"kind": "all"},
        "message_policy": "recording",
        "recording_id": recording_id,
        "max_attempts": 1,
        "calling_window": {"days": list(range(7)), "start": "00:00", "end": "23:59"},
        "calls_per_second": cps,
        "max_in_flight": max_in_flight,
    }


class Served(NamedTuple):
    processes: list[subprocess.Popen]
    url: str  # the campaign's API URL
    logs: Path


def serve_campaign(
    prepared: Prepared, args: argparse.Namespace, redis_url: str, instance: Path, name: str
) -> Served:
    """gunicorn and the workers started (`args.web_workers`, `.web_threads`, `.workers`),
    serving; a draft campaign of the prepared tenant (`args.cps` up to 100 calls/s,
    `args.max_in_flight`) created through the API. Stops the processes if that fails."""
    logs = instance / "logs"
    logs.mkdir()
    processes = start_web_and_workers(
        prepared.port, args.web_workers, args.web_threads, args.workers, logs
    )
    try:
        wait_until_serving(prepared.base, redis_url, args.workers, processes)
        api, tenant = f"{prepared.base}/api/v1", prepared.tenant
        body = campaign_body(name, tenant.recording_id, min(args.cps, 100.0), args.max_in_flight)
        campaign = http("POST", f"{api}/campaigns", tenant.headers, body)
    except BaseException:
        stop(processes)
        raise
    return Served(processes, f"{api}/campaigns/{campaign['id']}", logs)


def serve_simulated_campaign(
    prepared: Prepared, args: argparse.Namespace, redis_url: str, instance: Path, name: str,
    simulator,
) -> Served:  # fmt: skip
    """`serve_campaign`, closing the simulator (a `SimulatorServer`) if that fails."""
    try:
        return serve_campaign(prepared, args, redis_url, instance, name)
    except BaseException:
        simulator.close()
        raise


def await_completion(
    url: str, headers: dict, timeout: float, processes: list[subprocess.Popen], logs: Path
) -> dict:
    """The campaign at `url` once completed, asked once a second as a dashboard would (asked
    ten times a second, the API requests cost the server 1 ms of CPU per call of a 50 calls/s
    campaign); on a time-out, prints its state and the logs."""
    state: dict = {}

    def completed() -> bool:
        state.update(http("GET", url, headers))
        return state["status"] == "completed"

    try:
        wait_for("the campaign to complete", completed, timeout, processes, every=1.0)
    except SystemExit:
        print(f"campaign {state.get('status')}: {state.get('counts')}")
        for log in sorted(logs.iterdir()):
            print(f"--- {log.name}\n{tail(log)}")
        raise
    return state
