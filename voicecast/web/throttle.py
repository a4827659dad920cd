"""Login throttling: failed logins are counted per account email and per client address, in
fixed windows kept in Redis (shared by every web process); past a limit, logins for that email
or from that address are refused until the window ends, the right password included.

Redis can be lost: then each process counts in its own memory until Redis answers again, so a
login never fails because Redis is down and guessing stays throttled (per process, so up to
`WEB_CONCURRENCY` times the limit) rather than open.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import threading
import time
from dataclasses import dataclass

from flask import current_app, request
from redis.exceptions import RedisError

from voicecast.redis_client import get_redis

log = logging.getLogger(__name__)

# The memory fallback forgets its expired windows when it holds more than this many.
MEMORY_PRUNE_AT = 10_000


@dataclass(frozen=True)
class Counter:
    """One window's count of failed logins: its key and how many it allows."""

    key: str
    limit: int


def counters(email: str) -> list[Counter]:
    """The counters a login for `email` from this request's client is held to."""
    config = current_app.config
    email_digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return [
        Counter(f"login:fail:email:{email_digest}", config["LOGIN_MAX_FAILURES_PER_EMAIL"]),
        Counter(f"login:fail:addr:{client_address()}", config["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
    ]


def client_address() -> str:
    """Who is asking: the address that connected, or with LOGIN_TRUSTED_PROXIES=N the one the
    Nth proxy from us saw in X-Forwarded-For. IPv6 clients count per /64 (one subscriber's)."""
    address = request.remote_addr or ""
    hops = current_app.config["LOGIN_TRUSTED_PROXIES"]
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
    if hops and len([part for part in forwarded if part]) >= hops:
        address = forwarded[-hops]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def window_s() -> int:
    return current_app.config["LOGIN_THROTTLE_WINDOW_SECONDS"]


def retry_after(email: str) -> int | None:
    """Seconds until a login for `email` from this client may be tried again; None: now."""
    found = [(count, ttl) for count, ttl, limit in read(counters(email)) if count >= limit]
    if not found:
        return None
    return max(max(ttl, 1) for _, ttl in found)


def note_failure(email: str) -> None:
    """Count one failed login for `email` from this client."""
    try:
        pipe = get_redis().pipeline(transaction=False)
        for counter in counters(email):
            pipe.set(counter.key, 0, ex=window_s(), nx=True)
            pipe.incr(counter.key)
        pipe.execute()
    except RedisError as error:
        log.warning("login throttle counts in this process's memory (Redis: %s)", error)
        for counter in counters(email):
            MEMORY.incr(counter.key, window_s())


def read(wanted: list[Counter]) -> list[tuple[int, int, int]]:
    """(count, seconds left in its window, limit) of each counter."""
    try:
        pipe = get_redis().pipeline(transaction=False)
        for counter in wanted:
            pipe.get(counter.key)
            pipe.ttl(counter.key)
        replies = pipe.execute()
        pairs = [(int(replies[i] or 0), int(replies[i + 1])) for i in range(0, len(replies), 2)]
    except RedisError as error:
        log.warning("login throttle reads this process's memory (Redis: %s)", error)
        pairs = [MEMORY.get(counter.key) for counter in wanted]
    return [(*pair, counter.limit) for pair, counter in zip(pairs, wanted, strict=True)]


class MemoryWindows:
    """Fixed windows in this process, for while Redis is away."""

    def __init__(self) -> None:
        self.windows: dict[str, tuple[float, int]] = {}  # key: (ends at, count)
        self.lock = threading.Lock()

    def incr(self, key: str, window: int) -> None:
        now = time.monotonic()
        with self.lock:
            if len(self.windows) > MEMORY_PRUNE_AT:
                self.windows = {k: v for k, v in self.windows.items() if v[0] > now}
            ends, count = self.windows.get(key, (0.0, 0))
            if ends <= now:
                ends, count = now + window, 0
            self.windows[key] = (ends, count + 1)

    def get(self, key: str) -> tuple[int, int]:
        ends, count = self.windows.get(key, (0.0, 0))
        left = ends - time.monotonic()
        return (count, int(left) + 1) if left > 0 else (0, -2)


MEMORY = MemoryWindows()
