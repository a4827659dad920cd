"""Benchmark: CPU milliseconds our processes spend per voicemail left, over a whole campaign.

Run with `.venv/bin/python bench/end_to_end.py` (needs the local PostgreSQL, or `--database-url
sqlite`). Everything runs on loopback and stops by itself: a private Redis, a fresh database
schema, the carrier simulator in this process (its rules set so that every number reaches a
voicemail, fast call timings), our app under gunicorn as the Procfile runs it, and `python -m
workers` processes. A campaign over 2,000 contacts is created and launched through the HTTP API
and awaited until completed.

What is measured is the user + system CPU time of our own processes (the gunicorn master and
its workers, the RQ workers) from the launch request to the campaign's completion, read from
/proc, divided by the voicemails left. It covers planning, dispatcher rounds, dial jobs, RQ's
own bookkeeping, the twilio client, and every webhook (AMD verdict, four status callbacks,
the message's download). The simulator, PostgreSQL and Redis are not ours and not counted.

Target: under 15 ms per voicemail left.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from _common import (
    DATABASE_HELP,
    DEFAULT_DATABASE_URL,
    REDIS_HELP,
)
from _stack import (
    FAST_CALLS,
    await_completion,
    children_of,
    http,
    prepare_app,
    process_cpu,
    run_in_scratch,
    serve_simulated_campaign,
    stop,
)

from voicecast.simulator.engine import SimulatorConfig
from voicecast.simulator.server import SimulatorServer

SID = "AC" + "e2e0" * 8
TOKEN = "bench-auth-token"
TARGET_MS = 15.0
EVERY_NUMBER_A_MACHINE = {str(digit): "machine_end_beep" for digit in range(10)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=2_000, help="default: %(default)s")
    parser.add_argument("--cps", type=float, default=50.0, help="calls/s (%(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="RQ workers (%(default)s)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--web-threads", type=int, default=2, help="threads per process")
    parser.add_argument("--max-in-flight", type=int, default=200, help="default: %(default)s")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help=DATABASE_HELP)
    parser.add_argument("--redis-url", default=None, help=REDIS_HELP)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds (%(default)s)")
    return parser.parse_args(argv)


def tree_cpu(pids: list[int]) -> dict[int, float]:
    """CPU seconds of each process in `pids` and of their live children."""
    every = {pid for parent in pids for pid in [parent, *children_of(parent)]}
    return {pid: process_cpu(pid) for pid in every}


def ledger(simulator_url: str) -> list[dict]:
    body = http("GET", f"{simulator_url}/_sim/calls")
    return body["calls"] if isinstance(body, dict) else body


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(after[pid] - before.get(pid, 0.0) for pid in after)


def run(args: argparse.Namespace, instance: Path, database_url: str, redis_url: str) -> int:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the simulator's request log
    simulator = SimulatorServer(
        SimulatorConfig(account_sid=SID, auth_token=TOKEN, cps=1000.0, timings=FAST_CALLS)
    ).start()
    http("POST", f"{simulator.url}/_sim/rules", body=EVERY_NUMBER_A_MACHINE)
    prepared = prepare_app(
        instance, database_url, redis_url, simulator.url, (SID, TOKEN), args.cps, args.contacts
    )
    processes, url, logs = serve_simulated_campaign(
        prepared, args, redis_url, instance, "Bench end to end", simulator
    )
    headers = prepared.tenant.headers
    try:
        time.sleep(2.0)  # let start-up work (imports, first connections) settle before measuring
        ours = [process.pid for process in processes]
        before, started = tree_cpu(ours), time.monotonic()
        http("POST", f"{url}/launch", headers)
        state = await_completion(url, headers, args.timeout, processes, logs)
        took = time.monotonic() - started
        after = tree_cpu(ours)
        web_pids = {ours[0], *children_of(ours[0])}
        calls = ledger(simulator.url)
    finally:
        stop(processes)
        simulator.close()

    web = sum(after[pid] - before.get(pid, 0.0) for pid in after if pid in web_pids)
    total = spent(before, after)
    left = state["counts"].get("voicemail_left", 0)
    per = total * 1000 / max(left, 1)
    print(
        f"campaign of {args.contacts} contacts completed in {took:.1f} s: {state['counts']}; "
        f"{len(calls)} calls in the simulator's ledger, "
        f"{len({call['to'] for call in calls})} numbers"
    )
    print(
        f"CPU of our processes from launch to completion: {total:.2f} s (web {web:.2f} s, "
        f"workers {total - web:.2f} s); {os.cpu_count()} CPUs"
    )
    met = per < TARGET_MS and left == args.contacts == len(calls)
    print(
        f"end to end: {per:.1f} ms CPU per voicemail left (web {web * 1000 / max(left, 1):.1f}, "
        f"workers {(total - web) * 1000 / max(left, 1):.1f}); target < {TARGET_MS:g} ms: "
        f"{'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


def main(argv: list[str] | None = None) -> int:
    return run_in_scratch(parse_args(argv), run)


if __name__ == "__main__":
    sys.exit(main())
