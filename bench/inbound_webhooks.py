"""Benchmark: latency of the callback webhooks (customers calling our numbers back) under
gunicorn, the inbound half of `bench/webhooks.py` (run as `bench/webhooks.py --inbound`).

Same stack and open-loop generator as the outbound benchmark. Set-up: a shared callback line,
the seller's phone and 20,000 contacts (a million with `--contacts`), each of whom got the
seller's message a few days ago from a campaign (a delivery and an attempt that played it), so
that each voice webhook does the whole routing: the number called, the contact, their last
message within the attribution window, the seller and their hours, then records the callback.
One caller in five calls from an unknown number (routed to the account's fallback number).

A callback as Twilio sends it, one request per step, steps of one callback about 1 s apart:
`voice` (the call arrives: route, record, answer the greeting and the dial), `whisper` (the
seller's leg picks up), `accept` (the seller pressed 1), `dialed` (the dial ended, connected),
and the number's status callback `completed`. The three middle steps need the callback's id,
which only the voice webhook's INSERT gives, so they go to callbacks the set-up recorded as
the voice webhook leaves them; `voice` and `completed` go to calls that arrive during the run.

Target: p99 under 25 ms for each webhook at 100 requests/s, zero errors.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
from datetime import timedelta
from pathlib import Path

from _common import Tenant, insert_contacts, make_tenant, phone_number, point_environment
from _stack import free_port, stop, tail
from flask import Flask
from sqlalchemy import func, insert, select
from webhooks import (
    PUBLIC_BASE_URL,
    SID,
    TARGET_P99_MS,
    TOKEN,
    CpuMeter,
    Pool,
    Shot,
    db_name,
    fire,
    latency_row,
    report_cpu,
    report_errors,
    report_slow,
    running_campaign,
    signed_request,
    start_gunicorn,
)

from voicecast import create_app
from voicecast.extensions import db
from voicecast.models import (
    Account,
    Attempt,
    AttemptState,
    Contact,
    Delivery,
    DeliveryStatus,
    InboundCall,
    PhoneNumber,
    User,
)
from voicecast.models.base import utcnow

LINE = "+33159000001"
SELLER_PHONE = "+33611000001"
FALLBACK = "+33144000000"
UNKNOWN_SHARE = 5  # one caller in five is not a contact
STEPS = ("voice", "whisper", "accept", "dialed", "status")
CALL_GAP_S = 1.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The outbound benchmark's options (rate 100/s by default here), and --contacts."""
    from webhooks import parse_args as outbound_args

    own = argparse.ArgumentParser(add_help=False)
    own.add_argument("--contacts", type=int, default=20_000)
    known, rest = own.parse_known_args(argv)
    args = outbound_args(rest if "--rate" in rest else [*rest, "--rate", "100"])
    args.contacts = max(10, known.contacts)
    return args


def main(argv: list[str]) -> int:
    from _stack import run_in_scratch

    return run_in_scratch(parse_args(argv), run)


def contacts_with_drops(app: Flask, tenant: Tenant, count: int) -> None:
    """The tenant's `count` contacts each got the seller's message 3 days ago (one campaign)."""
    insert_contacts(app, tenant, count)
    with app.app_context():
        account = db.session.get(Account, tenant.account_id)
        account.fallback_number = FALLBACK
        db.session.get(User, tenant.seller_id).phone = SELLER_PHONE
        db.session.add(PhoneNumber(account_id=tenant.account_id, number=LINE))
        campaign = running_campaign(tenant, 1)
        campaign.name = "Entretien 2 ans"
        db.session.add(campaign)
        db.session.flush()
        heard = utcnow() - timedelta(days=3)
        contacts = db.session.execute(
            select(Contact.id, Contact.phone).where(Contact.account_id == tenant.account_id)
        ).all()
        delivery_ids = db.session.scalars(
            insert(Delivery).returning(Delivery.id, sort_by_parameter_order=True),
            [
                {
                    "campaign_id": campaign.id,
                    "account_id": tenant.account_id,
                    "contact_id": cid,
                    "phone": phone,
                    "seller_id": tenant.seller_id,
                    "attempt_count": 1,
                    "status": DeliveryStatus.VOICEMAIL_LEFT,
                }
                for cid, phone in contacts
            ],
        ).all()
        db.session.execute(
            insert(Attempt),
            [
                {
                    "delivery_id": did,
                    "campaign_id": campaign.id,
                    "number": 1,
                    "state": AttemptState.COMPLETED,
                    "outcome": "voicemail_left",
                    "played_recording_id": tenant.recording_id,
                    "dialed_at": heard,
                    "ended_at": heard,
                }
                for did in delivery_ids
            ],
        )
        db.session.commit()


def callers_in_flight(app: Flask, tenant: Tenant, count: int) -> list[tuple[int, str, str]]:
    """`count` callbacks as the voice webhook records them (ringing the seller); returns
    (id, call sid, caller) of each."""
    with app.app_context():
        rows = [
            {
                "account_id": tenant.account_id,
                "call_sid": f"CA{index:032x}",
                "from_number": phone_number(index),
                "to_number": LINE,
                "route": "last_message",
                "seller_id": tenant.seller_id,
                "dialed_number": SELLER_PHONE,
            }
            for index in range(count)
        ]
        ids = db.session.scalars(
            insert(InboundCall).returning(InboundCall.id, sort_by_parameter_order=True), rows
        ).all()
        db.session.commit()
        db.engine.dispose()
        return [(i, row["call_sid"], row["from_number"]) for i, row in zip(ids, rows, strict=True)]


def caller_of(index: int, contacts: int) -> str:
    if index % UNKNOWN_SHARE == UNKNOWN_SHARE - 1:
        return f"+3369{index:07d}"  # nobody the account knows
    return phone_number(index * 7919 % contacts)


def step_request(step: str, index: int, flight: tuple[int, str, str], contacts: int, port: int):
    """(path, params) of `step` of callback `index`."""
    base = {"AccountSid": SID, "To": LINE, "Called": LINE, "ApiVersion": "2010-04-01"}
    arriving_sid = f"CA{10**9 + index:032x}"
    caller = caller_of(index, contacts)
    if step == "voice":
        params = {**base, "CallSid": arriving_sid, "From": caller, "Caller": caller,
                  "CallStatus": "ringing", "Direction": "inbound"}  # fmt: skip
        return "/twilio/voice", params
    if step == "status":
        params = {**base, "CallSid": arriving_sid, "From": caller, "CallStatus": "completed",
                  "CallDuration": "47", "Direction": "inbound"}  # fmt: skip
        return "/twilio/voice/status", params
    call_id, sid, flight_caller = flight
    leg = {"CallSid": f"CA{2 * 10**9 + index:032x}", "ParentCallSid": sid, "AccountSid": SID,
           "From": flight_caller, "To": SELLER_PHONE, "Direction": "outbound-dial"}  # fmt: skip
    if step == "whisper":
        return f"/twilio/callbacks/{call_id}/whisper", {**leg, "CallStatus": "in-progress"}
    if step == "accept":
        return f"/twilio/callbacks/{call_id}/accept", {**leg, "Digits": "1"}
    params = {**base, "CallSid": sid, "From": flight_caller, "CallStatus": "in-progress",
              "DialCallStatus": "completed", "DialCallSid": leg["CallSid"],
              "DialCallDuration": "42"}  # fmt: skip
    return f"/twilio/callbacks/{call_id}/dialed", params


def schedule(total: int, rate: float, flights, contacts: int, port: int) -> list[Shot]:
    """Step j of callback t - j * lag at tick t: a callback's steps `lag` ticks apart."""
    lag = max(1, round(CALL_GAP_S * rate / len(STEPS)))
    shots, tick = [], 0
    while len(shots) < total:
        for j, step in enumerate(STEPS):
            index = tick - j * lag
            if index >= 0 and len(shots) < total:
                path, params = step_request(step, index, flights[index], contacts, port)
                shots.append(
                    Shot(len(shots) / rate, step, step, index, signed_request(path, params, port))
                )
        tick += 1
    return shots


def verify(app: Flask, tenant: Tenant, shots: list[Shot], outcomes) -> bool:
    """Each voice request that succeeded recorded one callback, routed as its caller wants."""
    arrived = {
        s.attempt_id
        for s, o in zip(shots, outcomes, strict=True)
        if s.webhook == "voice" and not o.error
    }
    with app.app_context():
        rows = db.session.execute(
            select(InboundCall.route, func.count())
            .where(
                InboundCall.account_id == tenant.account_id,
                InboundCall.call_sid >= f"CA{10**9:032x}",
            )
            .where(InboundCall.call_sid < f"CA{2 * 10**9:032x}")
            .group_by(InboundCall.route)
        ).all()
        db.engine.dispose()
    routes = dict(rows)
    unknown = sum(1 for i in arrived if i % UNKNOWN_SHARE == UNKNOWN_SHARE - 1)
    expected = {"last_message": len(arrived) - unknown, "fallback": unknown}
    print(f"database: {len(arrived)} callbacks arrived; recorded by route {routes} "
          f"(expected {expected})")  # fmt: skip
    return routes == {k: v for k, v in expected.items() if v}


def run(args: argparse.Namespace, instance: Path, database_url: str, redis_url: str) -> int:
    port = free_port()
    point_environment(database_url, redis_url, instance, PUBLIC_BASE_URL=PUBLIC_BASE_URL,
                      TWILIO_ACCOUNT_SID=SID, TWILIO_AUTH_TOKEN=TOKEN)  # fmt: skip
    load = os.getloadavg()[0]
    total = round(args.rate * (args.warmup + args.seconds))
    app = create_app()
    tenant = make_tenant(app)
    contacts_with_drops(app, tenant, args.contacts)
    flights = callers_in_flight(app, tenant, total)
    shots = schedule(total, args.rate, flights, args.contacts, port)
    (instance / "logs").mkdir()
    log = instance / "logs" / "web.log"
    web = start_gunicorn(args, port, log)
    try:
        pool = Pool(port, args.connections, args.timeout, args.uses)
        meter = CpuMeter(web.pid, log)
        gc.collect()
        gc.freeze()
        outcomes = asyncio.run(fire(shots, pool, [(args.warmup, meter.mark)]))
        meter.mark()
    finally:
        stop([web])
    return report(args, app, tenant, shots, outcomes, pool, meter, log, load)


def report(args, app, tenant, shots, outcomes, pool, meter, log, load) -> int:
    warm = round(args.rate * args.warmup)
    timed = list(zip(shots[warm:], outcomes[warm:], strict=True))
    span = timed[-1][0].at - timed[0][0].at
    print(
        f"inbound webhooks: {len(timed)} requests over {span:.1f} s after a {args.warmup:g} s "
        f"warm-up, target {args.rate:g}/s; {args.contacts:,} contacts with a drop each; "
        f"gunicorn {args.web_workers} workers x {args.web_threads} threads; "
        f"{db_name(args.database_url)}; load average before {load:.1f}"
    )
    columns = ("count", "p50", "p90", "p99", "max")
    print(f"  {'latency from due time (ms)':<30} " + " ".join(f"{c:>7}" for c in columns))
    worst = 0.0
    for step in (*STEPS, "all"):
        row, p99 = latency_row(step, [o for s, o in timed if step in ("all", s.webhook)])
        print(row)
        worst = max(worst, p99)
    report_slow(timed)
    errors = report_errors([o for _, o in timed])
    report_cpu(meter, pool, [o.lag for _, o in timed])
    consistent = verify(app, tenant, shots, outcomes)
    met = worst < TARGET_P99_MS and errors == 0
    print(f"targets: p99 < {TARGET_P99_MS:g} ms for each inbound webhook: worst {worst:.1f} ms; "
          f"zero errors: {errors == 0}: {'met' if met else 'NOT met'}")  # fmt: skip
    if errors or not consistent:
        print(f"--- web log (last lines)\n{tail(log)}")
    return 0 if met and consistent else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
