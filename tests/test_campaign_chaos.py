"""Exactly once under failure, whatever the far end does: a campaign meets every outcome the
carrier simulator offers (mixed per number and per call), create-call requests that fail,
stall past our timeout or lose their worker to a SIGKILL in mid-request, workers SIGKILLed at
random, Redis SIGKILLed and restarted from its files (back to an older snapshot, or from its
append-only file), and, between two waves of retries, the worker holding RQ's scheduler
killed with nothing else going on. Checked number by number against the carrier's ledger
(tests/chaos_checks.py); `bench/chaos.py` runs it bigger and longer."""

from __future__ import annotations

import os
import sys

import pytest

from tests.chaos_run import Plan, run_chaos

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]
POSTGRESQL = "postgresql" if os.environ.get("TEST_POSTGRES_URL") else "sqlite"

CASES = {
    # One attempt each: Redis comes back to a snapshot taken 3 s before its death.
    "one-attempt": (Plan(max_attempts=1, redis_persistence="rdb"), "sqlite"),
    # Three attempts: Redis comes back whole from its AOF; the scheduler's holder dies between
    # two waves of retries.
    "three-attempts": (
        Plan(max_attempts=3, redis_persistence="aof", quiet_scheduler_kill=True),
        POSTGRESQL,
    ),
}


@pytest.mark.parametrize(
    ("plan", "database_url"), CASES.values(), ids=CASES.keys(), indirect=["database_url"]
)
def test_every_number_dialed_as_often_as_reported_and_never_lost_under_chaos(
    app, plan, tmp_path, monkeypatch
):
    result = run_chaos(plan, tmp_path, monkeypatch.setenv)
    for name, value in result["figures"].items():
        print(f"{name}: {value}")
    assert result["problems"] == [], "\n".join(result["problems"][:40])
