"""Workers stop at once: a burst worker returns as soon as its queues are empty, and
`python -m workers` exits promptly when asked to, whatever redis-py's pub/sub thread does.

With redis-py 8.2 and RQ 3.0, RQ's own teardown could wait up to 60 s in the pub/sub thread's
`stop()`: these tests run against the locked versions (`make test`) and the newest releases
(`make test-latest`, which CI runs for this file)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable

import pytest
from redis import Redis
from redis.client import PubSub
from rq import Queue, Worker

from voicecast.job_worker import JobWorker

BURST_LIMIT_S = 2.0


def burst_seconds(redis_url: str) -> float:
    """How long a burst worker with the scheduler on takes over empty queues, start to return
    (RQ installs signal handlers: it runs in the main thread, so a stall shows as its length)."""
    connection = Redis.from_url(redis_url)
    queue = Queue(f"empty-{uuid.uuid4().hex[:8]}", connection=connection)
    worker = JobWorker([queue], connection=connection)
    started = time.monotonic()
    worker.work(burst=True, with_scheduler=True)
    took = time.monotonic() - started
    connection.close()
    return took


def test_a_burst_worker_with_empty_queues_returns_within_two_seconds(redis_url: str) -> None:
    took = [burst_seconds(redis_url) for _ in range(5)]
    assert max(took) < BURST_LIMIT_S, f"burst workers took {took} s"


def late_unsubscribe(original: Callable) -> Callable:
    """PubSub.unsubscribe that lets the reply reach the listener thread before the caller goes
    on: the race that left RQ's listener waiting 60 s for a subscription."""

    def unsubscribe(self: PubSub, *args, **kwargs):
        result = original(self, *args, **kwargs)
        time.sleep(0.3)
        return result

    return unsubscribe


def test_a_burst_worker_returns_at_once_when_its_listener_reads_the_unsubscribe_first(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PubSub, "unsubscribe", late_unsubscribe(PubSub.unsubscribe))
    took = burst_seconds(redis_url)
    assert took < BURST_LIMIT_S, f"the burst worker took {took} s"


def listening_channel(connection: Redis, pid: int) -> str | None:
    """The command channel of the worker process `pid` once it listens on it (pub/sub channels
    are server-wide: other test processes' workers have their own)."""
    for worker in Worker.all(connection=connection):
        channel = f"rq:pubsub:{worker.name}"
        if worker.pid == pid and connection.pubsub_numsub(channel)[0][1]:
            return channel
    return None


def test_python_m_workers_exits_within_a_second_of_sigterm(app, redis_url: str) -> None:
    connection = Redis.from_url(redis_url)
    worker = subprocess.Popen(
        [sys.executable, "-m", "workers"],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while (channel := listening_channel(connection, worker.pid)) is None:
            assert worker.poll() is None, worker.stdout.read()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the worker never listened for commands"
            time.sleep(0.05)
        time.sleep(0.5)  # idle, waiting for jobs, like a worker on a quiet day
        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=30)
        took = time.monotonic() - started
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    output = worker.stdout.read()  # type: ignore[union-attr]
    worker.stdout.close()  # type: ignore[union-attr]
    assert code == 0, output
    assert took < 1.0, f"python -m workers took {took:.2f} s to stop:\n{output}"
    assert connection.pubsub_numsub(channel)[0][1] == 0  # it stopped listening


def test_a_worker_asked_to_stop_does_not_start_its_scheduler_again():
    """Ctrl-C during a job: the warm shutdown stops the scheduler process, then the worker's
    loop looks at its scheduler once more before leaving; starting one then left a scheduler
    process behind the worker (seen under `make test-at`: `make run` not stopped in 5 s)."""
    from types import SimpleNamespace

    from voicecast.job_worker import JobWorker

    started = []
    worker = JobWorker.__new__(JobWorker)
    worker._supervising, worker._stop_requested = True, True
    worker.scheduler = SimpleNamespace(
        _process=SimpleNamespace(is_alive=lambda: False),
        _queue_names=["default"],
        name="w",
        acquire_locks=lambda auto_start: started.append(auto_start),
    )
    worker.supervise_scheduler()
    assert started == []
    worker._stop_requested = False
    worker.connection = SimpleNamespace(mget=lambda keys: [None] * len(keys))
    worker.supervise_scheduler()
    assert started == [True]  # the same dead scheduler is started when no stop is asked
