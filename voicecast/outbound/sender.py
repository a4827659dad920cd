"""Sending the outbox: at least once, in order per campaign and endpoint, with retries.

A round (one job at a time, under a Redis lock) sends every event that is due and *sendable*:
pending, its endpoint active, and no earlier event of the same campaign still pending for the
same endpoint. Delivering a campaign's head event makes the next one sendable within the same
round. Each event is leased before its request (its `next_attempt_at` moved past the request's
longest possible duration) and committed, so a worker killed mid-request leaves it due again
later rather than lost, and no transaction is held during the request.

A 2xx answer within `WEBHOOK_TIMEOUT` delivers the event; anything else (another status, a
redirect, a timeout, a refused connection) is a failed attempt, retried after the next delay of
`WEBHOOK_RETRY_SCHEDULE`, after the last one the event is failed. A failed event no longer
holds back the later ones of its campaign. An endpoint that gives no answer at all (a timeout,
a refused connection) is tried again at that retry time with all its events, so that a dead
endpoint costs a round one attempt, not one timeout per event while the others wait.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import urllib3
from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import aliased

from voicecast.extensions import db
from voicecast.jobs import SEND_EVENTS
from voicecast.models import OutboxEvent, OutboxStatus, WebhookEndpoint
from voicecast.models.base import utcnow
from voicecast.outbound import iso
from voicecast.outbound.addresses import Destination, destination
from voicecast.outbound.signing import signature_header
from voicecast.redis_client import get_redis

log = logging.getLogger(__name__)

WAKE_KEY = "outbound:wake"
LOCK_KEY = "outbound:lock"
WAKE_MS = 1000  # many commits within this make one wake-up (a round sends all that is due)
BATCH = 50
ROUND_BUDGET_S = 50.0  # then the round hands over to a fresh job
ATTEMPT_LOG_SIZE = 20
SNIPPET_BYTES = 200
USER_AGENT = "Voicecast-Webhooks/1.0"
# Addresses of a name tried in turn when connecting fails: within an event's lease.
MAX_ADDRESSES = 3
OUTBOX = OutboxEvent.__table__

_pool: urllib3.PoolManager | None = None


# --- Queueing the sender ------------------------------------------------------------------


def wake() -> None:
    """Have the sender look at the outbox now (events were just committed). Never raises: if
    Redis is unreachable, the workers' periodic pass sends them (the database keeps them)."""
    try:
        if get_redis().set(WAKE_KEY, 1, nx=True, px=WAKE_MS):
            SEND_EVENTS.enqueue(job_id=f"outbound-wake-{time.time_ns() // 1_000_000}")
    except (RedisError, OSError) as error:
        log.warning("outbound webhooks: sender not woken (%s); the periodic pass will", error)


def schedule_round(at: datetime) -> None:
    """A round at `at`: one scheduled job per second, so asking twice for the same moment
    adds nothing."""
    SEND_EVENTS.enqueue_at(at, job_id=f"outbound-round-{int(at.timestamp())}")


def revive_outbox() -> bool:
    """Queue a round for what the outbox says is owed (after Redis was lost, or a wake-up
    that could not be sent): now if an event is due, else at the next retry. True if queued."""
    at = next_sendable_at()
    if at is None:
        return False
    if at <= utcnow():
        wake()
    else:
        schedule_round(at)
    return True


# --- What may be sent ---------------------------------------------------------------------


def sendable():
    """Conditions on OutboxEvent: pending, endpoint active, no earlier pending event of the
    same campaign for the same endpoint (events without a campaign are never held back)."""
    earlier = aliased(OutboxEvent)
    held_back = exists().where(
        earlier.endpoint_id == OutboxEvent.endpoint_id,
        earlier.campaign_id == OutboxEvent.campaign_id,
        earlier.status == OutboxStatus.PENDING,
        earlier.id < OutboxEvent.id,
    )
    active = exists().where(
        WebhookEndpoint.id == OutboxEvent.endpoint_id, WebhookEndpoint.active.is_(True)
    )
    return (OutboxEvent.status == OutboxStatus.PENDING, active, ~held_back)


def due_ids(now: datetime, limit: int = BATCH) -> list[int]:
    stmt = (
        select(OutboxEvent.id)
        .where(*sendable(), OutboxEvent.next_attempt_at <= now)
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def next_sendable_at() -> datetime | None:
    """When the next sendable event is due (None: nothing is owed)."""
    return db.session.scalar(select(func.min(OutboxEvent.next_attempt_at)).where(*sendable()))


# --- A round ------------------------------------------------------------------------------


def run_round(budget_s: float = ROUND_BUDGET_S) -> str:
    """Send what is due, one round at a time across workers; book the next round."""
    config = current_app.config
    redis = get_redis()
    lock_timeout = int(budget_s + config["WEBHOOK_TIMEOUT"] + 30)
    lock = redis.lock(LOCK_KEY, timeout=lock_timeout, blocking=False)
    if not lock.acquire():
        schedule_round(utcnow() + timedelta(seconds=1))
        return "another round is running"
    try:
        redis.delete(WAKE_KEY)  # events committed from now on wake a new round
        counts = send_due(budget_s)
    finally:
        lock.release()
    at = next_sendable_at()
    db.session.commit()
    if at is not None:
        schedule_round(max(at, utcnow() + timedelta(seconds=1)))
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items())) or "nothing due"


def send_due(budget_s: float) -> dict[str, int]:
    """Send due events until none is left or `budget_s` is spent; counts by result."""
    started = time.monotonic()
    counts: dict[str, int] = {}
    while time.monotonic() - started < budget_s:
        batch = due_ids(utcnow())
        db.session.commit()
        if not batch:
            break
        for row_id in batch:
            result = send_event(row_id)
            counts[result] = counts.get(result, 0) + 1
            if time.monotonic() - started >= budget_s:
                break
    return counts


@dataclass(frozen=True)
class Answer:
    """What one attempt got: an HTTP status, or an error before any."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Outgoing:
    """What one attempt sends, copied out of the rows so no transaction is held meanwhile."""

    url: str
    body: bytes
    headers: dict[str, str]


def send_event(row_id: int) -> str:
    """Lease, send and record one event; "delivered", "retry", "failed" or "taken"."""
    now = utcnow()
    timeout = current_app.config["WEBHOOK_TIMEOUT"]
    lease = now + timedelta(seconds=2 * timeout + 30)
    leased = db.session.execute(
        update(OUTBOX)
        .where(
            OUTBOX.c.id == row_id,
            OUTBOX.c.status == OutboxStatus.PENDING,
            OUTBOX.c.next_attempt_at <= now,
        )
        .values(next_attempt_at=lease)
    ).rowcount
    db.session.commit()
    if not leased:
        return "taken"
    outgoing = prepare(row_id, now)
    db.session.commit()
    if outgoing is None:
        return "taken"
    # Checked again here: a name may resolve elsewhere than when the URL was registered; the
    # request then goes to the address checked.
    where = destination(outgoing.url)
    answer = Answer(None, where.problem, 0) if where.problem else post(outgoing, where, timeout)
    return record(row_id, answer, now)


def prepare(row_id: int, now: datetime) -> Outgoing | None:
    row = db.session.get(OutboxEvent, row_id)
    endpoint = db.session.get(WebhookEndpoint, row.endpoint_id) if row else None
    if row is None or endpoint is None:
        return None  # its endpoint was deleted meanwhile
    body = row.body.encode()
    in_use = [endpoint.secret]
    if endpoint.previous_secret and (endpoint.previous_secret_until or now) > now:
        in_use.append(endpoint.previous_secret)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Voicecast-Event": row.type,
        "Voicecast-Delivery": row.event_id,
        "Voicecast-Signature": signature_header(in_use, int(time.time()), body),
    }
    return Outgoing(endpoint.url, body, headers)


def http_pool() -> urllib3.PoolManager:
    global _pool
    if _pool is None:
        _pool = urllib3.PoolManager(num_pools=50, maxsize=1, retries=False)
    return _pool


def pool_for(url: urllib3.util.Url, address: str) -> urllib3.HTTPConnectionPool:
    """Connections to `address` on behalf of `url`'s host: for HTTPS, the name in the TLS
    handshake and the one the certificate must carry."""
    name = (url.host or "").strip("[]")
    port = url.port or (443 if url.scheme == "https" else 80)
    tls = {"server_hostname": name, "assert_hostname": name} if url.scheme == "https" else {}
    return http_pool().connection_from_host(address, port, url.scheme, pool_kwargs=tls)


def post(outgoing: Outgoing, where: Destination, timeout: float) -> Answer:
    """POST the event to the addresses `where` says, the next one only when a connection
    could not be made (as a resolver's list is used), for the URL's host (its Host header,
    and for HTTPS its name in the handshake and the certificate); never raises for what the
    endpoint or the network does."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    url = urllib3.util.parse_url(outgoing.url)
    for address in where.addresses[:MAX_ADDRESSES]:
        try:
            response = pool_for(url, address).urlopen(
                "POST",
                url.request_uri,
                body=outgoing.body,
                headers={**outgoing.headers, "Host": url.netloc},
                timeout=urllib3.Timeout(total=timeout),
                redirect=False,
                retries=False,
                assert_same_host=False,
                preload_content=False,
            )
            break
        except urllib3.exceptions.ConnectTimeoutError as error:  # refused, unreachable too
            failure = error  # no connection to this address: the next one, if any
        except Exception as error:  # any other failure to get an answer is a failed attempt
            return Answer(None, f"{type(error).__name__}: {error}"[:500], took())
    else:
        return Answer(None, f"{type(failure).__name__}: {failure}"[:500], took())
    try:
        snippet = response.read(SNIPPET_BYTES)
        response.drain_conn()
    except Exception:  # the status is what counts
        snippet = b""
    finally:
        response.release_conn()
    status = response.status
    if 200 <= status < 300:
        return Answer(status, None, took())
    text = snippet.decode("utf-8", "replace").strip()
    return Answer(status, (f"HTTP {status}" + (f": {text}" if text else ""))[:500], took())


def record(row_id: int, answer: Answer, at: datetime) -> str:
    """Note the attempt; deliver, book the retry, or give up. Commits."""
    row = db.session.get(OutboxEvent, row_id)
    if row is None:
        db.session.commit()
        return "taken"
    row.attempts += 1
    row.last_attempt_at = at
    row.last_status_code = answer.status_code
    row.last_error = answer.error
    entry: dict[str, Any] = {
        "at": iso(at),
        "status_code": answer.status_code,
        "error": answer.error,
        "duration_ms": answer.duration_ms,
    }
    row.attempt_log = [*(row.attempt_log or []), entry][-ATTEMPT_LOG_SIZE:]
    schedule = current_app.config["WEBHOOK_RETRY_SCHEDULE"]
    if answer.ok:
        row.status, row.delivered_at, row.next_attempt_at = OutboxStatus.DELIVERED, utcnow(), None
        result = "delivered"
    elif row.attempts <= len(schedule):
        row.next_attempt_at = utcnow() + timedelta(seconds=schedule[row.attempts - 1])
        result = "retry"
    else:
        row.status, row.next_attempt_at = OutboxStatus.FAILED, None
        result = "failed"
        log.warning("outbound webhook %s to endpoint %s failed: %s", row.event_id,
                    row.endpoint_id, answer.error)  # fmt: skip
    if answer.status_code is None:  # no answer at all: the endpoint is down or unreachable
        first_delay = timedelta(seconds=schedule[0] if schedule else 0)
        defer_endpoint(row.endpoint_id, row.next_attempt_at or utcnow() + first_delay)
    db.session.commit()
    return result


def defer_endpoint(endpoint_id: int, until: datetime) -> None:
    """An endpoint that did not answer is tried again at its retry time, with all its events:
    its other pending events are not due before `until` (no attempt is counted for them). A
    round would otherwise spend WEBHOOK_TIMEOUT on each of them while other endpoints wait."""
    db.session.execute(
        update(OUTBOX)
        .where(
            OUTBOX.c.endpoint_id == endpoint_id,
            OUTBOX.c.status == OutboxStatus.PENDING,
            OUTBOX.c.next_attempt_at < until,
        )
        .values(next_attempt_at=until)
    )
