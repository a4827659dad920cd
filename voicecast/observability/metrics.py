"""Counters and histograms shared by every process of the service, kept in Redis.

The service runs as several gunicorn processes and several RQ worker processes, possibly on
several hosts, and only the web processes answer HTTP: in-process counters would give each
scrape one process's share, and prometheus_client's multiprocess mode only adds up the
processes of one host. So each event is counted in Redis, which every process already talks to,
and `/metrics` reads the totals from there (`voicecast.observability.exposition`).

Recording must stay cheap on the webhook path: an event only adds to this process's buffer (a
dict update under a lock, a few microseconds); a daemon thread sends the buffer to Redis every
`METRICS_FLUSH_SECONDS` in one pipeline of HINCRBY/HINCRBYFLOAT, and at exit. A scrape served
by this process sends its own buffer first. If Redis is lost the counters start again from
zero, which Prometheus's `rate()` and `increase()` read as a counter reset; the database stays
the truth for what each call did.

Each metric family is one Redis hash `metrics:<name>`; a field is the label values joined by
`SEP` (a histogram's fields add the bucket index, `sum` or `count`).
"""

from __future__ import annotations

import atexit
import bisect
import logging
import os
import threading
import time
from dataclasses import dataclass

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError

from voicecast.redis_client import redis_from_url

log = logging.getLogger(__name__)
EXTENSION_KEY = "voicecast.metrics"
KEY_PREFIX = "metrics:"
SEP = "\x1f"
WARN_EVERY_S = 60.0


@dataclass(frozen=True)
class Family:
    """One metric family: a counter (`buckets` empty) or a histogram (upper bounds, seconds)."""

    name: str
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()

    @property
    def key(self) -> str:
        return KEY_PREFIX + self.name


LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
WAIT_BUCKETS = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

CALLS_PLACED = Family(
    "voicecast_calls_placed", "Outbound calls the carrier accepted (a call sid came back)."
)
CALL_OUTCOMES = Family(
    "voicecast_call_outcomes",
    "Outbound calls ended, by the outcome they gave their delivery (voicemail_left, "
    "voicemail_cut, voicemail_unsure, human_reached, no_answer, busy, failed, undeliverable, "
    "canceled).",
    ("status",),
)
WEBHOOK_SECONDS = Family(
    "voicecast_twilio_webhook_seconds",
    "Time to answer Twilio's webhooks, by endpoint (twilio.* outbound calls, inbound.* callbacks).",
    ("hook",),
    LATENCY_BUCKETS,
)
RATE_LIMIT_WAIT = Family(
    "voicecast_rate_limit_wait_seconds",
    "How long a dial waited under the calls-per-second limits: for its start slot (stage slot), "
    "then for room in the one-second window (stage window).",
    ("stage",),
    WAIT_BUCKETS,
)
CALLBACKS_RECEIVED = Family(
    "voicecast_callbacks_received", "Customers' calls to the account's numbers (callbacks)."
)
CALLBACKS_ENDED = Family(
    "voicecast_callbacks_ended",
    "Callbacks ended, by their outcome at hang-up (connected, voicemail_left, opted_out, "
    "abandoned).",
    ("outcome",),
)
WAKEUPS_MISSED = Family(
    "voicecast_wakeups_missed",
    "Wake-ups not sent because Redis was unreachable after their change was committed, by what "
    "was to wake: dispatcher (the workers' periodic pass queues its round instead), "
    "callback_notification (a missed callback's notification, not sent).",
    ("what",),
)
FAMILIES = (
    CALLS_PLACED,
    CALL_OUTCOMES,
    WEBHOOK_SECONDS,
    RATE_LIMIT_WAIT,
    CALLBACKS_RECEIVED,
    CALLBACKS_ENDED,
    WAKEUPS_MISSED,
)


class Buffer:
    """What this process counted and has not yet sent to one Redis."""

    def __init__(self, redis_url: str, flush_seconds: float) -> None:
        self.redis_url = redis_url
        self.flush_seconds = flush_seconds
        self.lock = threading.Lock()
        self.pending: dict[tuple[str, str], float] = {}
        self._redis: Redis | None = None
        self._warned_at = 0.0

    def add(self, key: str, field: str, amount: float = 1) -> None:
        with self.lock:
            self.pending[key, field] = self.pending.get((key, field), 0) + amount
        self.after_add()

    def observe(self, family: Family, field: str, value: float) -> None:
        bucket = bisect.bisect_left(family.buckets, value)  # first bound >= value: "le"
        prefix = field + SEP
        with self.lock:
            pending = self.pending
            for name, amount in ((str(bucket), 1), ("sum", value), ("count", 1)):
                slot = (family.key, prefix + name)
                pending[slot] = pending.get(slot, 0) + amount
        self.after_add()

    def after_add(self) -> None:
        if self.flush_seconds <= 0:
            self.flush()
        else:
            start_flusher()

    def redis(self) -> Redis:
        if self._redis is None:
            self._redis = redis_from_url(self.redis_url, socket_timeout=2)
        return self._redis

    def flush(self, quiet: bool = False) -> None:
        """Send what was counted to Redis in one round trip; kept for the next try on error."""
        with self.lock:
            sent, self.pending = self.pending, {}
        if not sent:
            return
        try:
            with self.redis().pipeline(transaction=False) as pipe:
                for (key, field), amount in sent.items():
                    if isinstance(amount, int):
                        pipe.hincrby(key, field, amount)
                    else:
                        pipe.hincrbyfloat(key, field, amount)
                pipe.execute()
        except RedisError as error:
            with self.lock:
                for slot, amount in sent.items():
                    self.pending[slot] = self.pending.get(slot, 0) + amount
            now = time.monotonic()
            if not quiet and now - self._warned_at > WARN_EVERY_S:
                self._warned_at = now
                log.warning("metrics not sent to Redis (kept for the next try): %s", error)

    def forget(self) -> None:
        """In a forked child: the parent sends what it counted; start empty."""
        self.lock = threading.Lock()
        self.pending = {}
        self._redis = None


_buffers: dict[tuple[str, float], Buffer] = {}
_buffers_lock = threading.Lock()
_flusher: threading.Thread | None = None


def buffer_for(redis_url: str, flush_seconds: float) -> Buffer:
    """The process's buffer for `redis_url` (one per Redis, shared by the apps using it)."""
    with _buffers_lock:
        found = _buffers.get((redis_url, flush_seconds))
        if found is None:
            found = _buffers[redis_url, flush_seconds] = Buffer(redis_url, flush_seconds)
        return found


def flush_all(quiet: bool = False) -> None:
    for buffer in list(_buffers.values()):
        buffer.flush(quiet=quiet)


def start_flusher() -> None:
    global _flusher
    if _flusher is not None:
        return
    with _buffers_lock:
        if _flusher is None:
            thread = threading.Thread(target=flush_forever, name="metrics-flusher", daemon=True)
            thread.start()
            _flusher = thread


def flush_forever() -> None:
    while True:
        interval = min((b.flush_seconds for b in list(_buffers.values())), default=1.0)
        time.sleep(max(interval, 0.05))
        try:
            flush_all()
        except Exception:  # never let the thread die: counting must not stop
            log.exception("metrics flush failed")


def _after_fork_in_child() -> None:
    global _flusher, _buffers_lock
    _flusher = None
    _buffers_lock = threading.Lock()
    for buffer in _buffers.values():
        buffer.forget()


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(flush_all, quiet=True)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = buffer_for(
        app.config["REDIS_URL"], app.config["METRICS_FLUSH_SECONDS"]
    )


def buffer_of(app: Flask | None = None) -> Buffer:
    return (app or current_app).extensions[EXTENSION_KEY]


def count(family: Family, *labels: str, amount: int = 1, app: Flask | None = None) -> None:
    """Add `amount` to the counter `family` for `labels` (in the order of `family.labels`)."""
    buffer_of(app).add(family.key, SEP.join(labels), amount)


def observe(family: Family, value: float, *labels: str, app: Flask | None = None) -> None:
    """Record `value` (seconds) in the histogram `family` for `labels`."""
    buffer_of(app).observe(family, SEP.join(labels), float(value))


def read_all(redis: Redis) -> dict[str, dict[str, float]]:
    """Every family's hash as {field: value}, in one round trip."""
    with redis.pipeline(transaction=False) as pipe:
        for family in FAMILIES:
            pipe.hgetall(family.key)
        hashes = pipe.execute()
    return {
        family.name: {field.decode(): float(value) for field, value in found.items()}
        for family, found in zip(FAMILIES, hashes, strict=True)
    }
