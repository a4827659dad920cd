"""Calls-per-second limits shared by every worker on every host, kept in Redis.

Each limit is a "next free slot" timestamp. A call takes one start slot under all its limits at
once (the carrier account's and the campaign's), atomically in one script run on Redis's own
clock: the slot is the latest of now and each limit's next free slot, and each limit then moves
on by its own 1/rate from there, so N workers together never start more than `rate` calls in any
second under any limit.
"""

from __future__ import annotations

from collections.abc import Sequence

from redis import Redis

# KEYS: the limits' keys. ARGV: each limit's interval (s). Returns the wait before our slot (s).
TAKE_SLOT = """
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local slot = now
for i, key in ipairs(KEYS) do
  slot = math.max(slot, tonumber(redis.call('GET', key) or '0'))
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, tostring(slot + tonumber(ARGV[i])), 'EX', 3600)
end
return tostring(slot - now)
"""


# Slots are spaced a little wider than 1/rate: the requests' latency varies, and a call sent
# late bunches with the next one at the carrier; 3% keeps every 1 s window within the limit.
HEADROOM = 0.97


def take_slot(
    redis: Redis,
    limits: Sequence[tuple[str, float]],
    alive_key: str | None = None,
    alive_seconds: int = 30,
) -> float:
    """Reserve the next start slot under every `(key, calls per second)` limit at once; returns
    the seconds to wait for it. `alive_key`, if given, is set (for `alive_seconds`) in the same
    round trip: the caller's "I am alive" mark."""
    keys = [key for key, _ in limits]
    intervals = [repr(1.0 / (rate * HEADROOM)) for _, rate in limits]
    with redis.pipeline(transaction=False) as pipe:
        if alive_key:
            pipe.set(alive_key, 1, ex=alive_seconds)
        pipe.eval(TAKE_SLOT, len(keys), *keys, *intervals)
        return float(pipe.execute()[-1])
