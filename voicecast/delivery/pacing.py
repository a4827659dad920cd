"""Calls-per-second limits shared by every worker on every host, kept in Redis.

Each limit is a "next free slot" timestamp: taking a slot moves it on by 1/rate, atomically,
so N workers together never start more than `rate` calls in any second.
"""

from __future__ import annotations

from redis import Redis

# KEYS[1]: the limit's key. ARGV: now (s), interval (s). Returns the wait before our slot (s).
TAKE_SLOT = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, free)
redis.call('SET', KEYS[1], tostring(slot + interval), 'EX', 3600)
return tostring(slot - now)
"""


# Slots are spaced a little wider than 1/rate: the requests' latency varies, and a call sent
# late bunches with the next one at the carrier; 3% keeps every 1 s window within the limit.
HEADROOM = 0.97


def take_slot(redis: Redis, key: str, rate: float) -> float:
    """Reserve the next start slot of limit `key` (`rate` per second); seconds to wait for it."""
    seconds, micros = redis.time()
    now = seconds + micros / 1_000_000
    return float(redis.eval(TAKE_SLOT, 1, key, repr(now), repr(1.0 / (rate * HEADROOM))))
