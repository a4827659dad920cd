"""The calls-per-second limits in Redis: slots spaced by 1/rate under every limit at once, and
a one-second window that a late worker cannot overfill."""

from __future__ import annotations

import itertools
import threading
import time
import uuid

import pytest
from redis import Redis

from voicecast.delivery.pacing import HEADROOM, admit, take_slot, wait_for_admission


@pytest.fixture
def redis(redis_url: str):
    connection = Redis.from_url(redis_url)
    yield connection
    connection.close()


def limit_key(name: str) -> str:
    return f"test:cps:{name}:{uuid.uuid4().hex}"


def test_slots_are_spaced_by_the_slowest_limit(redis):
    carrier, campaign = limit_key("carrier"), limit_key("campaign")
    limits = [(carrier, 50.0), (campaign, 10.0)]
    waits = [take_slot(redis, limits) for _ in range(4)]
    interval = 1 / (10.0 * HEADROOM)
    assert waits[0] == pytest.approx(0, abs=0.01)
    for before, after in itertools.pairwise(waits):
        # Each slot is one interval after the last; our own clock moved on a little meanwhile.
        assert interval - 0.05 < after - before <= interval


def test_the_window_admits_ceil_rate_calls_per_second_then_says_how_long_to_wait(redis):
    limits = [(limit_key("carrier"), 5.0), (limit_key("campaign"), 2.5)]
    assert [admit(redis, limits, f"call-{n}") for n in range(3)] == [0, 0, 0]
    wait = admit(redis, limits, "call-3")
    assert 0.9 < wait <= 1.0  # the campaign's window holds 3 (ceil 2.5) until the first ages out
    assert admit(redis, [limits[0]], "other-campaign") == 0  # the carrier's window has room


def test_a_refused_call_takes_no_room(redis):
    limits = [(limit_key("carrier"), 1.0)]
    assert admit(redis, limits, "first") == 0
    for _ in range(5):
        assert admit(redis, limits, "refused") > 0
    assert redis.zcard(f"{limits[0][0]}:window") == 1


def test_concurrent_callers_wait_for_the_window_to_have_room(redis):
    """Twelve callers at once under 10 per second: ten go at once, the last two only once the
    first admissions are a second old."""
    limits = [(limit_key("carrier"), 10.0)]
    admitted: list[float] = []
    lock = threading.Lock()

    def call(n: int) -> None:
        wait_for_admission(redis, limits, f"call-{n}")
        with lock:
            admitted.append(time.monotonic())

    threads = [threading.Thread(target=call, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    admitted.sort()
    assert len(admitted) == 12
    assert admitted[9] - admitted[0] < 0.5
    assert admitted[10] - admitted[0] > 0.95
