"""Benchmark: the calls-per-second limit held by 4 worker processes against the simulator.

Run with `.venv/bin/python bench/pacing.py` (needs the local PostgreSQL, or `--database-url
sqlite`). Everything runs on loopback and stops by itself: a private Redis, a fresh database
schema, the carrier simulator (its own CPS far above the limit, fast call timings), our app
under gunicorn (where the simulator sends its signed webhooks), and 4 `python -m workers`
processes with TWILIO_CALLS_PER_SECOND=20. A campaign over 400 contacts (calls_per_second 20,
max_in_flight 200, one attempt, calling window all day) is launched through the HTTP API with
an admin's API key, and awaited until completed. From the simulator's ledger (the time each
call-create request arrived) it prints the achieved rate from the first call to the last, and
the most calls started in any sliding 1 s window.

Targets: achieved rate at least 95% of the limit, no 1 s window above the limit.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import logging
import os
import resource
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

from _common import (
    DATABASE_HELP,
    DEFAULT_DATABASE_URL,
    REDIS_HELP,
)
from _stack import (
    FAST_CALLS,
    await_completion,
    campaign_body,
    cpu_seconds,
    http,
    prepare_app,
    run_in_scratch,
    start_web_and_workers,
    stop,
    wait_until_serving,
)

from voicecast.simulator.engine import SimulatorConfig
from voicecast.simulator.server import SimulatorServer

SID = "AC" + "be4c" * 8
TOKEN = "bench-auth-token"
TARGET_SHARE = 0.95


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=400, help="contacts (default: %(default)s)")
    parser.add_argument("--cps", type=float, default=20.0, help="the limit (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=4, help="default: %(default)s")
    parser.add_argument("--max-in-flight", type=int, default=200, help="default: %(default)s")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help=DATABASE_HELP)
    parser.add_argument("--redis-url", default=None, help=REDIS_HELP)
    parser.add_argument(
        "--timeout", type=float, default=180.0, help="seconds before giving up (%(default)s)"
    )
    args = parser.parse_args(argv)
    if args.calls < 2 or args.workers < 1 or args.cps <= 0:
        parser.error("--calls must be at least 2, --workers at least 1, --cps positive")
    return args


def call_starts(simulator_url: str) -> list[dict]:
    with urllib.request.urlopen(f"{simulator_url}/_sim/calls", timeout=10) as response:
        body = json.load(response)
    return body["calls"] if isinstance(body, dict) else body


def max_in_window(times: list[float], width: float = 1.0) -> int:
    """The most of `times` (sorted) in any half-open window [t, t + width)."""
    return max(bisect.bisect_left(times, t + width) - i for i, t in enumerate(times))


def run(args: argparse.Namespace, instance: Path, database_url: str, redis_url: str) -> int:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the simulator's request log
    simulator = SimulatorServer(
        SimulatorConfig(account_sid=SID, auth_token=TOKEN, cps=1000.0, timings=FAST_CALLS)
    ).start()
    load = os.getloadavg()[0]
    _, tenant, port, base = prepare_app(
        instance, database_url, redis_url, simulator.url, (SID, TOKEN), args.cps, args.calls
    )

    logs = instance / "logs"
    logs.mkdir()
    processes: list[subprocess.Popen] = []
    children, own = cpu_seconds(resource.RUSAGE_CHILDREN), cpu_seconds(resource.RUSAGE_SELF)
    try:
        # Threads are plenty here: only the pace is measured.
        processes += start_web_and_workers(port, args.web_workers, 8, args.workers, logs)
        wait_until_serving(base, redis_url, args.workers, processes)

        api, headers = f"{base}/api/v1", tenant.headers
        body = campaign_body("Bench pacing", tenant.recording_id, args.cps, args.max_in_flight)
        campaign = http("POST", f"{api}/campaigns", headers, body)
        url = f"{api}/campaigns/{campaign['id']}"
        launched_at = time.monotonic()
        http("POST", f"{url}/launch", headers)
        state = await_completion(url, headers, args.timeout, processes, logs)
        took = time.monotonic() - launched_at
    finally:
        stop(processes[:1])  # the web server first, to tell its CPU time from the workers'
        web = cpu_seconds(resource.RUSAGE_CHILDREN) - children
        stop(processes[1:])
        calls = call_starts(simulator.url)
        simulator.close()
    workers = cpu_seconds(resource.RUSAGE_CHILDREN) - children - web
    own = cpu_seconds(resource.RUSAGE_SELF) - own

    times = sorted(datetime.fromisoformat(call["queued_at"]).timestamp() for call in calls)
    numbers = [call["to"] for call in calls]
    span = times[-1] - times[0]
    achieved = (len(times) - 1) / span
    share = achieved / args.cps
    busiest = max_in_window(times)
    gaps = sorted((b - a for a, b in itertools.pairwise(times)), reverse=True)[:3]
    over = int(args.cps) + 1  # the calls one window must never hold
    tightest = min(b - a for a, b in zip(times, times[over - 1 :], strict=False))
    print(
        f"campaign completed in {took:.1f} s: {state['counts']}; {len(calls)} calls in the "
        f"ledger over {span:.1f} s; longest gaps between starts "
        + ", ".join(f"{gap * 1000:.0f} ms" for gap in gaps)
        + f"; shortest span of {over} consecutive starts {tightest * 1000:.0f} ms"
    )
    per_call = 1000 / len(calls)
    print(
        f"CPU per call: workers {workers * per_call:.0f} ms, web {web * per_call:.0f} ms, "
        f"simulator {own * per_call:.0f} ms (PostgreSQL and Redis not counted); "
        f"{os.cpu_count()} CPUs, load average before the run {load:.1f}"
    )
    rate_met, window_met = share >= TARGET_SHARE, busiest <= args.cps
    print(
        f"pacing: {len(calls)} calls at limit {args.cps:g}/s: achieved {achieved:.1f}/s "
        f"({share:.0%}), max {busiest} in any 1 s window; targets: >={TARGET_SHARE:.0%} "
        f"({'met' if rate_met else 'NOT met'}), <={args.cps:g} "
        f"({'met' if window_met else 'NOT met'})"
    )
    ok = len(calls) == args.calls and len(set(numbers)) == len(numbers)
    if not ok:
        print(f"ERROR: {len(calls)} calls for {args.calls} contacts, {len(set(numbers))} numbers")
    return 0 if ok and rate_met and window_met else 1


def main(argv: list[str] | None = None) -> int:
    return run_in_scratch(parse_args(argv), run)


if __name__ == "__main__":
    sys.exit(main())
