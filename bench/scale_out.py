"""Benchmark: calls per second sustained with 1, 2 and 4 worker processes, and where it stops.

Run with `.venv/bin/python bench/scale_out.py` (needs the local PostgreSQL, or `--database-url
sqlite`). For each worker count, everything starts afresh on loopback and stops by itself: a
private Redis, a fresh database schema, the carrier simulator in this process at a CPS limit
far above what we reach (every number a voicemail, fast call timings), our app under gunicorn
as the Procfile runs it, and that many `python -m workers` processes. A campaign at the
highest pace the API allows (100 calls/s) is launched and awaited until completed.

Printed per worker count: the calls per second the carrier saw, sustained (the rate between
the 10th and the 90th percentile of the ledger's create-call times, so start-up and the tail
are left out), the CPU seconds of each of our processes (web, each worker) and of the
machine's other processes over the run, and the load average. Calls/s stop growing once the
processes that do the work (workers, gunicorn, PostgreSQL, the simulator) have used the
machine's cores: the figures say which share each took.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import time
from datetime import datetime
from pathlib import Path

from _common import DATABASE_HELP, DEFAULT_DATABASE_URL, REDIS_HELP
from _stack import (
    FAST_CALLS,
    await_completion,
    children_of,
    cpu_seconds,
    http,
    machine_cpu,
    prepare_app,
    process_cpu,
    run_in_scratch,
    serve_simulated_campaign,
    stop,
)

from voicecast.simulator.engine import SimulatorConfig
from voicecast.simulator.server import SimulatorServer

SID = "AC" + "5ca1" * 8
TOKEN = "bench-auth-token"
EVERY_NUMBER_A_MACHINE = {str(digit): "machine_end_beep" for digit in range(10)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_500, help="per run (%(default)s)")
    parser.add_argument("--worker-counts", default="1,2,4", help="default: %(default)s")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--web-threads", type=int, default=2, help="threads per process")
    parser.add_argument("--max-in-flight", type=int, default=400, help="default: %(default)s")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help=DATABASE_HELP)
    parser.add_argument("--redis-url", default=None, help=REDIS_HELP)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds (%(default)s)")
    args = parser.parse_args(argv)
    args.cps = 100.0  # the API's highest campaign pace; the carrier's limit is far above
    return args


def sustained_rate(calls: list[dict]) -> float:
    """Calls per second between the 10th and 90th percentile of the create-call times."""
    times = sorted(datetime.fromisoformat(call["queued_at"]).timestamp() for call in calls)
    if len(times) < 10:
        return 0.0
    low, high = times[len(times) // 10], times[len(times) * 9 // 10]
    return (len(times) * 8 // 10) / max(high - low, 1e-6)


def one_run(args: argparse.Namespace, instance: Path, database_url: str, redis_url: str) -> dict:
    """A campaign with `args.workers` worker processes: its figures."""
    simulator = SimulatorServer(
        SimulatorConfig(account_sid=SID, auth_token=TOKEN, cps=5000.0, timings=FAST_CALLS)
    ).start()
    http("POST", f"{simulator.url}/_sim/rules", body=EVERY_NUMBER_A_MACHINE)
    prepared = prepare_app(
        instance, database_url, redis_url, simulator.url, (SID, TOKEN), 5000.0, args.contacts
    )
    processes, url, logs = serve_simulated_campaign(
        prepared, args, redis_url, instance, "Scale out", simulator
    )
    headers = prepared.tenant.headers
    try:
        time.sleep(2.0)  # start-up work (imports, first connections) settles first
        web = [processes[0].pid, *children_of(processes[0].pid)]
        workers = [process.pid for process in processes[1:]]
        ours = web + workers + [wp for w in workers for wp in children_of(w)]
        before = {pid: process_cpu(pid) for pid in ours}
        machine_before, started = machine_cpu(), time.monotonic()
        simulator_before = cpu_seconds(resource.RUSAGE_SELF)  # it runs in this process
        http("POST", f"{url}/launch", headers)
        state = await_completion(url, headers, args.timeout, processes, logs)
        took = time.monotonic() - started
        ours = list({*ours, *[c for pid in web[:1] + workers for c in children_of(pid)]})
        after = {pid: process_cpu(pid) for pid in ours}
        machine_after = machine_cpu()
        simulator_cpu = cpu_seconds(resource.RUSAGE_SELF) - simulator_before
        calls = http("GET", f"{simulator.url}/_sim/calls")
        calls = calls["calls"] if isinstance(calls, dict) else calls
        load = Path("/proc/loadavg").read_text().split()[:3]
    finally:
        stop(processes)
        simulator.close()
    used = {pid: after[pid] - before.get(pid, 0.0) for pid in after}
    web_cpu = sum(used[pid] for pid in used if pid in web)
    worker_cpu = [used.get(pid, 0.0) + sum(used.get(c, 0.0) for c in children_of(pid))
                  for pid in workers]  # fmt: skip
    busy = machine_after.busy - machine_before.busy
    return {
        "workers": args.workers, "took": took, "calls": len(calls), "counts": state["counts"],
        "rate": sustained_rate(calls), "web": web_cpu, "worker_cpu": worker_cpu,
        "simulator": simulator_cpu, "others": busy - web_cpu - sum(worker_cpu) - simulator_cpu,
        "busy": busy, "load": load,
    }  # fmt: skip


def report(figures: dict) -> None:
    took, cores = figures["took"], os.cpu_count() or 1
    per_worker = ", ".join(f"{cpu:.1f} s ({cpu / took:.0%})" for cpu in figures["worker_cpu"])
    print(
        f"{figures['workers']} worker(s): {figures['calls']} calls in {took:.1f} s, "
        f"sustained {figures['rate']:.1f} calls/s; CPU: web {figures['web']:.1f} s "
        f"({figures['web'] / took:.0%}), workers {per_worker}, "
        f"simulator {figures['simulator']:.1f} s, everything else (PostgreSQL, Redis, other "
        f"users) {figures['others']:.1f} s; machine busy "
        f"{figures['busy'] / (took * cores):.0%} of {cores} cores; load {' '.join(figures['load'])}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the simulator's request log
    results = []
    for count in [int(n) for n in args.worker_counts.split(",")]:
        args.workers = count
        figures = run_in_scratch(args, one_run)
        report(figures)
        results.append(figures)
    first = results[0]["rate"] or 1.0
    print("speed-up: " + ", ".join(f"{r['workers']}: x{r['rate'] / first:.2f}" for r in results))
    return 0 if all(r["calls"] == args.contacts for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
