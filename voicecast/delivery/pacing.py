"""Calls-per-second limits shared by every worker on every host, kept in Redis.

Each limit is a "next free slot" timestamp. A call takes one start slot under all its limits at
once (the carrier account's and the campaign's), atomically in one script run on Redis's own
clock: the slot is the latest of now and each limit's next free slot, and each limit then moves
on by its own 1/rate from there, so N workers together start calls `rate` per second on average.

Spacing alone cannot hold every one-second window: a worker that wakes late for its slot (a
busy CPU, a garbage collection) bunches with the calls after it. So right before its request
leaves, a call is also admitted under a sliding one-second window per limit (`admit`): at most
ceil(rate) calls admitted in any second, or it waits for the oldest to age out.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from redis import Redis

# KEYS: the caller's alive mark, then the limits' keys. ARGV: how long the mark lasts past the
# slot (s; 0: no mark), then each limit's interval (s). Returns the wait before our slot (s).
TAKE_SLOT = """
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local slot = now
for i = 2, #KEYS do
  slot = math.max(slot, tonumber(redis.call('GET', KEYS[i]) or '0'))
end
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], tostring(slot + tonumber(ARGV[i])), 'EX', 3600)
end
if tonumber(ARGV[1]) > 0 then
  redis.call('SET', KEYS[1], 1, 'EX', math.ceil(slot - now + tonumber(ARGV[1])))
end
return tostring(slot - now)
"""


# KEYS: the limits' window keys. ARGV: the call's id, then each limit's most calls per second.
# Admits the call under every window at once and returns "0", or returns the wait (s) before
# the busiest window has room.
ADMIT = """
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - 1)
  local most = tonumber(ARGV[i + 1])
  local over = redis.call('ZCARD', key) - most
  if over >= 0 then
    local oldest = redis.call('ZRANGE', key, over, over, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + 1 - now)
  end
end
if wait > 0 then
  return tostring(wait)
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[1])
  redis.call('EXPIRE', key, 2)
end
return '0'
"""

# Slots are spaced a little wider than 1/rate: a request's way to the carrier varies (up to
# 16 ms from admission to the simulator's stamp, bench/pacing.py), and a call arriving late
# bunches with the ones after it; 4% leaves about 40 ms in each second.
HEADROOM = 0.96


def take_slot(
    redis: Redis,
    limits: Sequence[tuple[str, float]],
    alive_key: str | None = None,
    alive_seconds: float = 30,
) -> float:
    """Reserve the next start slot under every `(key, calls per second)` limit at once; returns
    the seconds to wait for it. `alive_key`, if given, is set in the same script: the caller's
    "I am alive" mark, lasting the wait and `alive_seconds` more (so a dead caller is known
    for dead that long after its slot, however near or far the slot was)."""
    keys = [alive_key or "cps:no-mark", *(key for key, _ in limits)]
    intervals = [repr(1.0 / (rate * HEADROOM)) for _, rate in limits]
    after = repr(float(alive_seconds)) if alive_key else "0"
    return float(redis.eval(TAKE_SLOT, len(keys), *keys, after, *intervals))


def admit(redis: Redis, limits: Sequence[tuple[str, float]], call_id: str) -> float:
    """Admit `call_id` under every limit's sliding one-second window (at most ceil(rate)
    calls in any second); returns 0 when admitted, else the seconds to wait before asking
    again."""
    keys = [f"{key}:window" for key, _ in limits]
    most = [str(max(1, math.ceil(rate))) for _, rate in limits]
    return float(redis.eval(ADMIT, len(keys), *keys, call_id, *most))


def wait_for_admission(redis: Redis, limits: Sequence[tuple[str, float]], call_id: str) -> float:
    """Block until `call_id` is admitted under every limit's one-second window; returns the
    seconds waited."""
    waited = 0.0
    while wait := admit(redis, limits, call_id):
        time.sleep(wait)
        waited += wait
    return waited
