"""The worker process as deployed (`python -m workers`): what it leaves behind when killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from voicecast.extensions import db
from voicecast.proc import child_pids

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting for a reaper)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_a_killed_worker_takes_its_scheduler_with_it(app, tmp_path):
    """RQ's scheduler is a fork of the worker, holding copies of its database sockets: if it
    outlived a SIGKILLed worker, the worker's open transaction and its row locks would too."""
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "workers"], env=dict(os.environ), stdout=log, stderr=log
    )
    try:
        assert wait_until(lambda: child_pids(worker.pid), 30), "no scheduler process started"
        (scheduler,) = child_pids(worker.pid)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        assert wait_until(lambda: not alive(scheduler), 10), "the scheduler outlived its worker"
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        log.close()


def test_postgresql_ends_transactions_left_idle(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("a PostgreSQL session setting")
        timeout = db.session.scalar(text("SHOW idle_in_transaction_session_timeout"))
    assert timeout == "1min"
