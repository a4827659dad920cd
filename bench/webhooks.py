"""Benchmark: latency of the Twilio webhooks (AMD verdict and status callbacks) under gunicorn.

Run with `.venv/bin/python bench/webhooks.py` (needs the local PostgreSQL, or `--database-url
sqlite`; `--help` lists the options). Everything runs on loopback and stops by itself: a
private Redis, a fresh database schema, and our app under gunicorn started as the Procfile's
`web` line does (2 workers x 4 threads, access log on; its output goes to a log file), with
TWILIO_AUTH_TOKEN set and PUBLIC_BASE_URL an https address other than the one it listens on.

Set-up inserts the rows a running campaign has while its calls are out: one delivery
`dialing` per contact, each with one attempt `dialing`. Every request is then precomputed,
body and X-Twilio-Signature included, as Twilio sends them for one machine-answered call:
status `initiated` (SequenceNumber 0), `ringing` (1), `in-progress` (2), the AMD POST to the
answer URL with AnsweredBy=machine_end_beep (which must answer TwiML that plays the message),
and `completed` (3) with CallDuration. Consecutive requests of one call are about 1 s apart and
many calls overlap, so the mix is the same at every moment once the pipeline has filled.

The load is open-loop: request k is due at k / rate seconds, whatever happened to the ones
before it, and its latency is measured from that due time to the end of its response, so
time spent queueing anywhere (also in the generator, waiting for a free connection) counts
rather than hiding behind a slower sending pace. The generator is one asyncio loop speaking
raw HTTP/1.1 over a pool of 32 keep-alive connections, cheap enough to share the 2 cores
with the server; each connection is renewed after 100 requests, since a connection stays
with the gunicorn worker that accepted it. A warm-up (same pace, its own calls; the pipeline
of overlapping calls takes 4 s to fill) comes first and is not counted.

It prints the requests sent and the achieved rate; p50/p90/p99/max latency for the answer and
status webhooks and overall, and how many requests took 25 ms or more in how many seconds
(spread out: too little capacity; bunched: a stall); errors (any non-2xx, a timeout, a broken
connection, an answer without <Play>); the CPU per request of the gunicorn processes (from
/proc, master and workers), of PostgreSQL, of the generator and of anything else running on the
machine (a warning says when other processes disturbed the run); and checks the database
afterwards: every attempt whose `completed` was sent must be completed with outcome
voicemail_left.

Targets: p99 under 25 ms for each webhook, zero errors (exit status 1 otherwise).

`--inbound` measures the callback webhooks instead (customers calling back; at 100/s by
default, `--contacts N`): see bench/inbound_webhooks.py.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import resource
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from _common import (
    DATABASE_HELP,
    DEFAULT_DATABASE_URL,
    REDIS_HELP,
    Tenant,
    insert_contacts,
    make_tenant,
    point_environment,
)
from _stack import (
    MachineCpu,
    children_of,
    cpu_seconds,
    cpu_settled,
    free_port,
    http,
    machine_cpu,
    pids_named,
    process_cpu,
    run_in_scratch,
    spawn,
    stop,
    tail,
    wait_for,
)
from flask import Flask
from sqlalchemy import insert, select
from twilio.request_validator import RequestValidator

from voicecast import create_app
from voicecast.extensions import db
from voicecast.models import Attempt, AttemptState, Contact, Delivery, DeliveryStatus
from voicecast.models.base import utcnow
from voicecast.models.campaign import (
    CallerIdPolicy,
    Campaign,
    CampaignStatus,
    HumanPolicy,
    MessagePolicy,
    UnknownPolicy,
)

SID = "AC" + "b00c" * 8
TOKEN = "bench-webhooks-auth-token"
CALLER_ID = "+33159000000"
PUBLIC_BASE_URL = "https://voicecast.bench.example"  # what Twilio signs; we listen elsewhere
HOST = "127.0.0.1"
TARGET_P99_MS = 25.0
NOISE_SHARE = 0.1  # of one CPU, used by other processes, above which the figures are suspect
CALL_GAP_S = 1.0  # between two consecutive requests of one call
# One machine-answered call as Twilio reports it, in order: (webhook, event).
CALL = (
    ("status", "initiated"),
    ("status", "ringing"),
    ("status", "in-progress"),
    ("answer", "machine_end_beep"),
    ("status", "completed"),
)
MESSAGE_SECONDS = 25


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=300.0, help="requests/s (%(default)s)")
    parser.add_argument("--seconds", type=float, default=20.0, help="timed (%(default)s)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds (%(default)s)")
    parser.add_argument("--connections", type=int, default=32, help="keep-alive pool (%(default)s)")
    parser.add_argument(
        "--uses",
        type=int,
        default=100,
        help="requests per connection before it is renewed, 0 for never (%(default)s)",
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="per request, seconds (%(default)s)"
    )
    parser.add_argument(
        "--web-workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", "2")),
        help="gunicorn processes (WEB_CONCURRENCY, else %(default)s)",
    )
    parser.add_argument(
        "--web-threads",
        type=int,
        default=int(os.environ.get("WEB_THREADS", "2")),
        help="threads per gunicorn process (WEB_THREADS, else %(default)s)",
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help=DATABASE_HELP)
    parser.add_argument("--redis-url", default=None, help=REDIS_HELP)
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.seconds <= 0 or args.warmup < 0 or args.connections < 1:
        parser.error("--rate and --seconds must be positive, --connections at least 1")
    if args.uses < 0:
        parser.error("--uses must be 0 or more")
    return args


# --- the rows a running campaign has while its calls are out ---------------------------------


def running_campaign(tenant: Tenant, calls: int) -> Campaign:
    return Campaign(
        account_id=tenant.account_id,
        name="Bench webhooks",
        status=CampaignStatus.RUNNING,
        audience={"kind": "all"},
        message_policy=MessagePolicy.RECORDING,
        recording_id=tenant.recording_id,
        caller_id_policy=CallerIdPolicy.ACCOUNT,
        human_policy=HumanPolicy.PLAY,
        unknown_policy=UnknownPolicy.PLAY,
        max_attempts=3,
        retry_delays_seconds=[14400, 86400],
        calling_window={"days": list(range(7)), "start": "00:00", "end": "23:59"},
        calls_per_second=float(calls),
        max_in_flight=calls,
        launched_at=utcnow(),
    )


def calls_out(app: Flask, tenant: Tenant) -> list[tuple[int, str]]:
    """A running campaign over the tenant's contacts, each with a delivery `dialing` and its
    first attempt `dialing` (the dial request sent, no callback yet); returns (attempt id,
    phone) in order."""
    with app.app_context():
        contacts = db.session.execute(
            select(Contact.id, Contact.phone)
            .where(Contact.account_id == tenant.account_id)
            .order_by(Contact.id)
        ).all()
        campaign = running_campaign(tenant, len(contacts))
        db.session.add(campaign)
        db.session.flush()
        deliveries = [
            {
                "campaign_id": campaign.id,
                "account_id": tenant.account_id,
                "contact_id": contact_id,
                "phone": phone,
                "seller_id": tenant.seller_id,
                "recording_id": tenant.recording_id,
                "status": DeliveryStatus.DIALING,
                "attempt_count": 1,
            }
            for contact_id, phone in contacts
        ]
        delivery_ids = db.session.scalars(
            insert(Delivery).returning(Delivery.id, sort_by_parameter_order=True), deliveries
        ).all()
        now = utcnow()
        attempts = [
            {
                "delivery_id": delivery_id,
                "campaign_id": campaign.id,
                "number": 1,
                "state": AttemptState.DIALING,
                "dialed_at": now,
            }
            for delivery_id in delivery_ids
        ]
        attempt_ids = db.session.scalars(
            insert(Attempt).returning(Attempt.id, sort_by_parameter_order=True), attempts
        ).all()
        db.session.commit()
        db.engine.dispose()
        return [(a, phone) for a, (_, phone) in zip(attempt_ids, contacts, strict=True)]


# --- the requests, precomputed ----------------------------------------------------------------


@dataclass(frozen=True)
class Shot:
    """One request of the schedule: due `at` seconds after the start."""

    at: float
    webhook: str  # "answer" or "status"
    event: str  # the CallStatus sent, or the answer's AnsweredBy
    attempt_id: int
    payload: bytes  # the whole HTTP/1.1 request


def interleave(total: int, lag: int) -> Iterator[tuple[int, int]]:
    """(call index, step of CALL) for `total` requests: at tick t, step j of call t - j * lag,
    so a call's steps are `lag` ticks apart and many calls overlap."""
    sent, tick = 0, 0
    while sent < total:
        for step in range(len(CALL)):
            call = tick - step * lag
            if call >= 0 and sent < total:
                yield call, step
                sent += 1
        tick += 1


def call_params(sid: str, phone: str, status: str) -> dict[str, str]:
    """What Twilio sends with every voice webhook of an outbound-api call."""
    return {
        "CallSid": sid,
        "AccountSid": SID,
        "From": CALLER_ID,
        "To": phone,
        "Caller": CALLER_ID,
        "Called": phone,
        "CallStatus": status,
        "Direction": "outbound-api",
        "ApiVersion": "2010-04-01",
    }


def webhook_params(step: int, sid: str, phone: str) -> tuple[str, dict[str, str]]:
    """(path suffix, form parameters) of step `step` of CALL."""
    webhook, event = CALL[step]
    if webhook == "answer":
        params = call_params(sid, phone, "in-progress")
        params.update(AnsweredBy=event, MachineDetectionDuration="3120")
        return "answer", params
    params = call_params(sid, phone, event)
    sequence = sum(1 for w, _ in CALL[:step] if w == "status")
    params.update(
        Timestamp=time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
        SequenceNumber=str(sequence),
        CallbackSource="call-progress-events",
    )
    if event == "completed":
        params.update(
            CallDuration=str(MESSAGE_SECONDS + 9),
            Duration="1",
            SipResponseCode="200",
            AnsweredBy="machine_end_beep",
        )
    return "status", params


def signed_request(path: str, params: dict[str, str], port: int) -> bytes:
    body = urllib.parse.urlencode(params).encode()
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_BASE_URL + path, params)
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {HOST}:{port}\r\n"
        "User-Agent: TwilioProxy/1.1\r\n"
        "Accept: */*\r\n"
        "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
        f"X-Twilio-Signature: {signature}\r\n"
        f"I-Twilio-Idempotency-Token: {os.urandom(16).hex()}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def schedule(
    plan: list[tuple[int, int]], calls: list[tuple[int, str]], rate: float, port: int
) -> list[Shot]:
    shots = []
    for k, (call, step) in enumerate(plan):
        attempt_id, phone = calls[call]
        sid = f"CA{attempt_id:032x}"
        webhook, params = webhook_params(step, sid, phone)
        path = f"/twilio/attempts/{attempt_id}/{webhook}"
        payload = signed_request(path, params, port)
        shots.append(Shot(k / rate, webhook, CALL[step][1], attempt_id, payload))
    return shots


# --- the load generator -----------------------------------------------------------------------


async def read_body(reader: asyncio.StreamReader, status: int, headers: dict[bytes, bytes]):
    if status in (204, 304) or status < 200:
        return b""
    if b"content-length" in headers:
        return await reader.readexactly(int(headers[b"content-length"]))
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        chunks = []
        while size := int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16):
            chunks.append(await reader.readexactly(size + 2))
        await reader.readuntil(b"\r\n")
        return b"".join(chunk[:-2] for chunk in chunks)
    return await reader.read()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, keep-alive) of one HTTP/1.1 response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    body = await read_body(reader, status, headers)
    return status, body, headers.get(b"connection", b"").lower() != b"close"


@dataclass
class Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    uses: int = 0


@dataclass
class Pool:
    """Keep-alive connections, each closed after `uses` requests (0: never) and replaced by
    a new one on its next use, like a broken one. A connection stays with the gunicorn worker
    that accepted it: renewing them lets the workers share the load as they have time."""

    port: int
    size: int
    timeout: float
    uses: int
    idle: asyncio.Queue = field(default_factory=asyncio.Queue)
    busy: int = 0
    most_busy: int = 0
    connects: int = 0

    async def connect(self) -> Connection:
        self.connects += 1
        return Connection(*await asyncio.open_connection(HOST, self.port))

    async def open(self) -> None:
        for n in range(self.size):
            connection = await self.connect()
            connection.uses = n * self.uses // self.size  # not all renewed at once
            self.idle.put_nowait(connection)

    async def send(self, payload: bytes) -> tuple[int, bytes]:
        async with asyncio.timeout(self.timeout):
            connection: Connection | None = await self.idle.get()
            self.busy += 1
            self.most_busy = max(self.most_busy, self.busy)
            try:
                connection = connection or await self.connect()
                connection.writer.write(payload)
                status, body, keep = await read_response(connection.reader)
                connection.uses += 1
                if not keep or connection.uses == self.uses:
                    connection = self.drop(connection)
                return status, body
            except BaseException:
                connection = self.drop(connection)
                raise
            finally:
                self.busy -= 1
                self.idle.put_nowait(connection)

    @staticmethod
    def drop(connection: Connection | None) -> None:
        if connection is not None:
            connection.writer.close()

    def shut(self) -> None:
        while not self.idle.empty():
            self.drop(self.idle.get_nowait())


@dataclass(frozen=True)
class Outcome:
    lag: float  # seconds the generator sent it after it was due
    latency: float  # seconds from due to the end of the response
    status: int | None
    error: str | None


def problem(shot: Shot, status: int, body: bytes) -> str | None:
    if not 200 <= status < 300:
        return f"HTTP {status}"
    if shot.webhook == "answer" and b"<Play>" not in body:
        return "TwiML without <Play>"
    return None


async def shoot(pool: Pool, shot: Shot, due: float, outcomes: list, index: int) -> None:
    loop = asyncio.get_running_loop()
    sent = loop.time()
    status: int | None = None
    try:
        status, body = await pool.send(shot.payload)
        error = problem(shot, status, body)
    except TimeoutError:
        error = "timeout"
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
        error = type(exc).__name__
    outcomes[index] = Outcome(sent - due, loop.time() - due, status, error)


async def fire(
    shots: list[Shot], pool: Pool, marks: list[tuple[float, Callable[[], None]]]
) -> list[Outcome]:
    """Send every shot at its due time; `marks` are (time, callback) on the same clock."""
    loop = asyncio.get_running_loop()
    await pool.open()
    outcomes: list = [None] * len(shots)
    start = loop.time() + 0.05
    for at, callback in marks:
        loop.call_at(start + at, callback)
    tasks = set()
    for index, shot in enumerate(shots):
        due = start + shot.at
        if (delay := due - loop.time()) > 0.0002:
            await asyncio.sleep(delay)
        task = asyncio.create_task(shoot(pool, shot, due, outcomes, index))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    while tasks:
        await asyncio.gather(*tasks)
    pool.shut()
    return outcomes


# --- CPU accounting ---------------------------------------------------------------------------


@dataclass
class Mark:
    web: dict[int, float]  # CPU seconds by gunicorn process id
    postgres: float
    own: float
    machine: MachineCpu
    wall: float
    log_size: int  # of gunicorn's output, where each request served adds an access-log line


@dataclass
class CpuMeter:
    """CPU seconds of gunicorn (master and workers), of PostgreSQL (all its processes, ours
    or not), of this process (the load generator), and of the whole machine; and the
    requests gunicorn served meanwhile."""

    master: int
    log: Path
    pids: list[int] = field(default_factory=list)
    postgres: list[int] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pids = [self.master, *children_of(self.master)]  # read once: marks stay cheap

    def mark(self) -> None:
        if not self.marks:  # after the warm-up: the backends of gunicorn's connections exist
            self.postgres = pids_named("postgres")
        self.marks.append(
            Mark(
                {pid: process_cpu(pid) for pid in self.pids},
                sum(process_cpu(pid) for pid in self.postgres),
                cpu_seconds(resource.RUSAGE_SELF),
                machine_cpu(),
                time.monotonic(),
                self.log.stat().st_size,
            )
        )

    def delta(self) -> Mark:
        """What was spent between the two marks."""
        first, last = self.marks[:2]
        return Mark(
            {pid: last.web[pid] - first.web[pid] for pid in self.pids},
            last.postgres - first.postgres,
            last.own - first.own,
            MachineCpu(*(b - a for a, b in zip(first.machine, last.machine, strict=True))),
            last.wall - first.wall,
            last.log_size - first.log_size,
        )

    def served(self) -> int:
        """Webhook requests gunicorn answered between the two marks (its access log)."""
        with self.log.open("rb") as log:
            log.seek(self.marks[0].log_size)
            return log.read(self.marks[1].log_size - self.marks[0].log_size).count(b"/twilio/")


# --- gunicorn ---------------------------------------------------------------------------------


def start_gunicorn(args: argparse.Namespace, port: int, log: Path) -> subprocess.Popen:
    """The Procfile's `web` line on loopback (its access log goes to `log` with the rest)."""
    argv = [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"{HOST}:{port}"]
    argv += ["--workers", str(args.web_workers), "--threads", str(args.web_threads)]
    argv += ["--access-logfile", "-", "--forwarded-allow-ips=127.0.0.1"]
    web = spawn(argv, log)
    wait_for("the web server", lambda: http("GET", f"http://{HOST}:{port}/healthz"), 60, [web])
    wait_for(
        f"{args.web_workers} gunicorn workers",
        lambda: len(children_of(web.pid)) >= args.web_workers,
        60,
        [web],
    )
    # Each worker imports the app on its own after it starts: connections opened before then
    # would all land on the workers already listening, and stay there (keep-alive).
    wait_for("the workers to be idle", cpu_settled(children_of(web.pid)), 60, [web])
    return web


# --- the figures ------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted `values`."""
    return values[max(0, min(len(values) - 1, math.ceil(share * len(values)) - 1))]


def latency_row(name: str, outcomes: list[Outcome]) -> tuple[str, float]:
    values = sorted(outcome.latency * 1000 for outcome in outcomes)
    if not values:
        return f"  {name:<30} {0:>6}", 0.0
    p50, p90, p99 = (percentile(values, q) for q in (0.5, 0.9, 0.99))
    row = f"  {name:<30} {len(values):>6} {p50:7.1f} {p90:7.1f} {p99:7.1f} {values[-1]:8.1f}"
    return row, p99


def report_latency(timed: list[tuple[Shot, Outcome]]) -> float:
    """Prints the latency table; returns the worst p99 of the two webhooks and overall."""
    columns = ("count", "p50", "p90", "p99", "max")
    print(f"  {'latency from due time (ms)':<30} " + " ".join(f"{c:>7}" for c in columns))
    groups = [
        ("answer (AMD verdict -> TwiML)", lambda s: s.webhook == "answer"),
        ("status (all CallStatus)", lambda s: s.webhook == "status"),
        *(
            (f"  status {event}", lambda s, e=event: s.webhook == "status" and s.event == e)
            for webhook, event in CALL
            if webhook == "status"
        ),
        ("all", lambda s: True),
    ]
    worst = 0.0
    for name, chosen in groups:
        row, p99 = latency_row(name, [o for s, o in timed if chosen(s)])
        print(row)
        if not name.startswith("  "):
            worst = max(worst, p99)
    return worst


def report_slow(timed: list[tuple[Shot, Outcome]]) -> None:
    """When the slow requests came: all along (too little capacity) or in bursts (stalls)."""
    start, limit = timed[0][0].at, TARGET_P99_MS / 1000
    by_second: dict[int, int] = {}
    for shot, outcome in timed:
        if outcome.latency >= limit:
            second = int(shot.at - start)
            by_second[second] = by_second.get(second, 0) + 1
    if not by_second:
        return
    worst = max(by_second, key=by_second.__getitem__)
    slow = sum(by_second.values())
    print(
        f"  {slow} requests ({slow / len(timed):.1%}) took {TARGET_P99_MS:g} ms or more, in "
        f"{len(by_second)} of the {math.ceil(timed[-1][0].at - start)} seconds; the worst second "
        f"(+{worst} s) had {by_second[worst]}"
    )


def report_errors(outcomes: list[Outcome]) -> int:
    kinds: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.error:
            kinds[outcome.error] = kinds.get(outcome.error, 0) + 1
    detail = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    print(f"errors: {sum(kinds.values())}" + (f" ({detail})" if detail else ""))
    return sum(kinds.values())


def report_cpu(meter: CpuMeter, pool: Pool, lags: list[float]) -> None:
    spent, served = meter.delta(), meter.served()
    per = 1000 / max(1, served)
    web = sum(spent.web.values())
    workers = [spent.web[pid] * per for pid in meter.pids[1:]]
    machine = spent.machine
    others = machine.busy - web - spent.postgres - spent.own
    print(
        f"CPU per request served ({served} in the timed phase): gunicorn {web * per:.2f} ms "
        f"(master {spent.web[meter.master] * per:.2f}, workers "
        + " + ".join(f"{each:.2f}" for each in workers)
        + f"), PostgreSQL {spent.postgres * per:.2f} ms, load generator {spent.own * per:.2f} ms,"
        f" anything else {others * per:.2f} ms; the machine was {machine.busy / spent.wall:.0%} "
        f"of one CPU busy ({os.cpu_count()} CPUs) over {spent.wall:.1f} s, iowait "
        f"{machine.iowait / spent.wall:.0%}, steal {machine.steal / spent.wall:.0%}"
    )
    if others / spent.wall > NOISE_SHARE:
        print(
            f"WARNING: other processes kept {others / spent.wall:.0%} of one CPU busy during the "
            "run: these figures are not this service's alone"
        )
    lags = sorted(lag * 1000 for lag in lags)
    print(
        f"generator: sent p99 {percentile(lags, 0.99):.1f} ms, max {lags[-1]:.1f} ms after due; "
        f"{pool.size} connections, at most {pool.most_busy} busy at once, "
        f"{pool.connects} opened in all"
    )


def verify(app: Flask, shots: list[Shot], outcomes: list[Outcome]) -> bool:
    """Every attempt sent `completed` is completed, voicemail_left, its delivery too."""
    completed = {s.attempt_id for s in shots if s.event == "completed"}
    failed = {s.attempt_id for s, o in zip(shots, outcomes, strict=True) if o.error}
    with app.app_context():
        rows = db.session.execute(
            select(Attempt.id, Attempt.state, Attempt.outcome, Delivery.status)
            .join(Delivery, Delivery.id == Attempt.delivery_id)
            .where(Attempt.id.in_(completed))
        ).all()
        db.engine.dispose()
    good = {
        attempt_id
        for attempt_id, state, outcome, delivery in rows
        if state == AttemptState.COMPLETED
        and outcome == DeliveryStatus.VOICEMAIL_LEFT
        and delivery == DeliveryStatus.VOICEMAIL_LEFT
    }
    clean = completed - failed
    print(
        f"database: {len(completed)} attempts were sent `completed`; {len(good)} of them are "
        f"completed with outcome voicemail_left (and so is their delivery)"
        + (
            f"; of the {len(clean)} whose five requests all succeeded, {len(good & clean)}"
            if failed
            else ""
        )
    )
    return good == completed


# --- the run ----------------------------------------------------------------------------------


def prepare(args: argparse.Namespace, port: int) -> tuple[Flask, list[Shot]]:
    total = round(args.rate * (args.warmup + args.seconds))
    lag = max(1, round(CALL_GAP_S * args.rate / len(CALL)))
    plan = list(interleave(total, lag))
    app = create_app()
    tenant = make_tenant(app, CALLER_ID)
    insert_contacts(app, tenant, max(call for call, _ in plan) + 1)
    calls = calls_out(app, tenant)
    return app, schedule(plan, calls, args.rate, port)


@dataclass
class Results:
    shots: list[Shot]
    outcomes: list[Outcome]
    pool: Pool
    meter: CpuMeter
    log: Path


def measure(args: argparse.Namespace, shots: list[Shot], port: int, log: Path) -> Results:
    web = start_gunicorn(args, port, log)
    try:
        pool = Pool(port, args.connections, args.timeout, args.uses)
        meter = CpuMeter(web.pid, log)
        gc.collect()
        gc.freeze()  # the precomputed requests never need scanning again
        outcomes = asyncio.run(fire(shots, pool, [(args.warmup, meter.mark)]))
        meter.mark()
    finally:
        stop([web])
    return Results(shots, outcomes, pool, meter, log)


def run(args: argparse.Namespace, instance: Path, database_url: str, redis_url: str) -> int:
    port = free_port()
    point_environment(
        database_url,
        redis_url,
        instance,
        PUBLIC_BASE_URL=PUBLIC_BASE_URL,
        TWILIO_ACCOUNT_SID=SID,
        TWILIO_AUTH_TOKEN=TOKEN,
    )
    load = os.getloadavg()[0]
    app, shots = prepare(args, port)
    (instance / "logs").mkdir()
    results = measure(args, shots, port, instance / "logs" / "web.log")
    return report(args, app, results, load)


def report(args: argparse.Namespace, app: Flask, results: Results, load: float) -> int:
    warm = round(args.rate * args.warmup)
    shots, outcomes = results.shots, results.outcomes
    timed = list(zip(shots[warm:], outcomes[warm:], strict=True))
    (first, sent_first), (last, sent_last) = timed[0], timed[-1]
    span = (last.at + sent_last.lag) - (first.at + sent_first.lag)  # as really sent
    print(
        f"webhooks: {len(timed)} requests sent over {span:.1f} s (after a {args.warmup:g} s "
        f"warm-up of {warm}), target {args.rate:g}/s, achieved "
        f"{(len(timed) - 1) / span if span else 0:.1f}/s; gunicorn {args.web_workers} workers x "
        f"{args.web_threads} threads; {db_name(args.database_url)}; load average before "
        f"{load:.1f}"
    )
    worst = report_latency(timed)
    report_slow(timed)
    errors = report_errors([o for _, o in timed])
    warm_errors = sum(1 for o in outcomes[:warm] if o.error)
    if warm_errors:
        print(f"  (and {warm_errors} errors during the warm-up)")
    report_cpu(results.meter, results.pool, [o.lag for _, o in timed])
    consistent = verify(app, shots, outcomes)
    met_latency, met_errors = worst < TARGET_P99_MS, errors == 0
    print(
        f"targets: p99 < {TARGET_P99_MS:g} ms for each webhook: worst {worst:.1f} ms "
        f"({'met' if met_latency else 'NOT met'}); zero errors: "
        f"{'met' if met_errors else 'NOT met'}"
    )
    if errors or warm_errors or not consistent:
        print(f"--- web log (last lines)\n{tail(results.log)}")
    return 0 if met_latency and met_errors and consistent else 1


def db_name(url: str) -> str:
    return "SQLite" if url.startswith("sqlite") else "PostgreSQL"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--inbound" in argv:  # the callback webhooks: bench/inbound_webhooks.py
        from inbound_webhooks import main as inbound_main

        return inbound_main([arg for arg in argv if arg != "--inbound"])
    return run_in_scratch(parse_args(argv), run)


if __name__ == "__main__":
    sys.exit(main())
