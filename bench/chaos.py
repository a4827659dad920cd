"""Benchmark: the chaos test (tests/test_campaign_chaos.py) bigger and longer.

Run with `.venv/bin/python bench/chaos.py` (needs the local PostgreSQL, or `--database-url
sqlite`). A campaign over `--contacts` numbers, each call's outcome drawn among every outcome
the carrier simulator offers, runs through `--workers` `python -m workers` processes while
they are SIGKILLed at random (`--kill-every` seconds on average) and in the middle of dial
requests, create-call requests fail (429, 503, 500 after taking the call, a stall past our
timeout, invalid numbers), Redis is SIGKILLed and restarted from its files (`--persistence`),
and, with `--max-attempts` over 1, the worker holding RQ's scheduler is killed between two
waves of retries with nothing else going on.

It prints what it dealt and what it found, checked number by number against the carrier's
ledger, and the machine's load. Targets: 0 numbers dialed more than their reported attempts or
max_attempts, 0 customers never dialed, no delivery due or dialing longer than twice the
reconciliation threshold, API counts equal to the ledger's, retries after the scheduler's
death within SCHEDULER_LEASE_S + 5 s.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from _common import DATABASE_HELP, DEFAULT_DATABASE_URL, ROOT, scratch_database
from _stack import machine_cpu

sys.path.insert(0, str(ROOT))

from tests.chaos_run import Plan, run_chaos


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help=DATABASE_HELP)
    parser.add_argument("--contacts", type=int, default=400)
    parser.add_argument("--max-attempts", type=int, default=3)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--kill-every", type=float, default=1.5, help="seconds, on average")
    parser.add_argument("--persistence", choices=("rdb", "aof"), default="rdb")
    parser.add_argument("--fault-share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=20261206)
    args = parser.parse_args()
    # Stopped, it still kills its workers and Redis and drops its schema (the `finally`s).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    plan = Plan(
        contacts=args.contacts,
        max_attempts=args.max_attempts,
        workers=args.workers,
        kill_every_s=args.kill_every,
        redis_persistence=args.persistence,
        snapshot_at_s=4.0,
        redis_restart_at_s=10.0,
        quiet_scheduler_kill=args.max_attempts > 1,
        fault_share=args.fault_share,
        invalid=5,
        timeout_s=600.0,
        seed=args.seed,
    )
    with tempfile.TemporaryDirectory(prefix="vc-chaos-") as scratch:
        folder = Path(scratch)
        with scratch_database(args.database_url, folder) as database_url:
            os.environ.update(
                DATABASE_URL=database_url,
                VOICECAST_INSTANCE_PATH=str(folder / "instance"),
                LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
            )
            before, started = machine_cpu(), time.monotonic()
            result = run_chaos(plan, folder, os.environ.__setitem__)
            after, wall = machine_cpu(), time.monotonic() - started
    cores = os.cpu_count() or 1
    print(f"plan: {plan}")
    for name, value in result["figures"].items():
        print(f"{name}: {value}")
    busy = (after.busy - before.busy) / (wall * cores)
    print(f"machine: {cores} cores, {busy:.0%} busy during the run (setup included), "
          f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")  # fmt: skip
    print(f"problems: {len(result['problems'])}")
    for problem in result["problems"][:60]:
        print(f"  {problem}")
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
