"""Benchmark: the journeys' daily evaluation over a large customer base (issue 21).

Run with `.venv/bin/python bench/journeys.py` (PostgreSQL only; `--contacts 1000000` for the
acceptance's size). In a fresh schema an account gets `--contacts` contacts (one INSERT ...
SELECT over generate_series: set-up, not measured), each with ten ISO date attributes d0..d9
spread over two years and a time zone (one in ten in Indian/Reunion), and a journey of ten
steps, one per attribute: day and month offsets either way, and a yearly one. Then, with the
clock at a morning of the spread:

- the evaluation: `evaluate_journeys` as the job runs it (entries written, one campaign per
  step and zone, each planned by the delivery engine), timed;
- the same again at the same instant (what each quarter hour's pass costs once the day's
  entrants are in), timed: it must write nothing;
- the plan checked: each step's entrants counted in Python from the generator's formula, and
  each campaign's deliveries equal to its run's entrants.

Target: the first evaluation over 1,000,000 contacts and 10 steps under 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from _common import DEFAULT_DATABASE_URL, REDIS_HELP, make_tenant, point_environment
from _stack import run_in_scratch
from sqlalchemy import func, select, text

from voicecast import create_app
from voicecast.extensions import db
from voicecast.journeys.evaluation import evaluate_journeys
from voicecast.journeys.moments import anniversaries, moment_of
from voicecast.models import Campaign, CampaignStatus, Delivery, JourneyEntry, JourneyRun

TARGET_S = 10.0
NOW = datetime(2027, 6, 1, 6, 0, tzinfo=UTC)
BASE = date(2027, 6, 1)
SPREAD_DAYS = 730
# (attribute, amount, unit, yearly); attribute k's date for contact g is
# BASE + OFFSET_K - ((g * 7 + k * 13) % SPREAD_DAYS) days.
STEPS = [
    ("d0", 3, "days", False),
    ("d1", 23, "months", False),
    ("d2", -60, "days", False),
    ("d3", -90, "days", False),
    ("d4", 12, "months", False),
    ("d5", 24, "months", False),
    ("d6", 7, "days", False),
    ("d7", -30, "days", False),
    ("d8", 2, "years", False),
    ("d9", 0, "days", True),
]
SHIFT = {"d2": 400, "d3": 400, "d7": 400, "d9": -20000}
REUNION_EVERY = 10


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000, help="(default: %(default)s)")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="PostgreSQL server URL; a fresh schema is made and dropped",
    )
    parser.add_argument("--redis-url", default=None, help=REDIS_HELP)
    return parser.parse_args(argv)


def attribute_date(g: int, k: int, name: str) -> date:
    return BASE + timedelta(days=SHIFT.get(name, 0) - ((g * 7 + k * 13) % SPREAD_DAYS))


def insert_contacts(count: int, account_id: int, seller_id: int) -> None:
    parts = ", ".join(
        f"'{name}', to_char(date '{BASE.isoformat()}' + {SHIFT.get(name, 0)}"
        f" - ((g * 7 + {k * 13}) % {SPREAD_DAYS}), 'YYYY-MM-DD')"
        for k, (name, *_rest) in enumerate(STEPS)
    )
    db.session.execute(
        text(
            "INSERT INTO contacts (account_id, phone, seller_id, timezone, attributes, created_at,"
            " updated_at) SELECT :account, '+336' || lpad(g::text, 8, '0'), :seller,"
            f" CASE WHEN g % {REUNION_EVERY} = 0 THEN 'Indian/Reunion' END,"
            f" jsonb_build_object({parts}), now(), now() FROM generate_series(0, :count - 1) AS g"
        ),
        {"account": account_id, "seller": seller_id, "count": count},
    )
    db.session.commit()
    db.session.execute(text("ANALYZE contacts"))
    db.session.commit()


def expected_entrants(count: int) -> list[int]:
    """Per step, the contacts whose moment is their local day at NOW (by the formula)."""
    days = {zone: NOW.astimezone(ZoneInfo(zone)).date()
            for zone in ("Europe/Paris", "Indian/Reunion")}  # fmt: skip
    wanted = []
    for k, (name, amount, unit, yearly) in enumerate(STEPS):
        found = 0
        for g in range(count):
            zone = "Indian/Reunion" if g % REUNION_EVERY == 0 else "Europe/Paris"
            source = attribute_date(g, k, name)
            if yearly:
                found += matches_yearly(source, days[zone], amount, unit)
            else:
                found += moment_of(source, amount, unit) == days[zone]
        wanted.append(found)
    return wanted


def matches_yearly(source: date, day: date, amount: int, unit: str) -> bool:
    found = anniversaries(day, amount, unit)
    return (
        found is not None
        and source.strftime("%m-%d") in found.month_days
        and (source < found.before)
    )


def run(args: argparse.Namespace, instance, database_url: str, redis_url: str) -> int:
    point_environment(database_url, redis_url, instance)
    app = create_app()
    tenant = make_tenant(app)
    with app.app_context():
        insert_contacts(args.contacts, tenant.account_id, tenant.seller_id)
        steps = [
            {"name": name, "attribute": name, "offset": {"amount": amount, "unit": unit},
             "yearly": yearly, "campaign": {"calling_window": {"start": "09:00", "end": "19:00",
                                                               "days": [0, 1, 2, 3, 4, 5]}}}
            for name, amount, unit, yearly in STEPS
        ]  # fmt: skip
        made = app.test_client().post("/api/v1/journeys", headers=tenant.headers,
                                      json={"name": "Bench", "steps": steps})  # fmt: skip
        if made.status_code != 201:
            raise SystemExit(f"journey not made: {made.json}")
        db.session.execute(
            text("UPDATE journeys SET evaluated_at = :at"), {"at": NOW - timedelta(hours=1)}
        )
        db.session.commit()
        started = time.perf_counter()
        first = evaluate_journeys(NOW)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        again = evaluate_journeys(NOW)
        again_s = time.perf_counter() - started
        entries = db.session.scalar(select(func.count()).select_from(JourneyEntry))
        db.session.commit()  # no transaction left idle while the oracle counts
    print(f"contacts {args.contacts:,}, steps {len(STEPS)}: {entries:,} entries, "
          f"{first['campaigns']} campaigns")  # fmt: skip
    print(f"evaluation (entries + campaigns planned): {first_s:.2f} s (target < {TARGET_S} s)")
    print(f"same instant again (nothing new): {again_s:.2f} s")
    print("load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg()), flush=True)
    wanted = expected_entrants(args.contacts)
    with app.app_context():
        problems = check_plan(made.json["steps"], wanted)
        if again["campaigns"]:
            problems.append(f"the second evaluation made {again['campaigns']} campaigns")
    for problem in problems:
        print("PLAN WRONG:", problem)
    return 1 if problems or first_s > TARGET_S else 0


def check_plan(steps: list[dict], wanted_per_step: list[int]) -> list[str]:
    problems = []
    entered = dict(
        db.session.execute(
            select(JourneyEntry.step_id, func.count()).group_by(JourneyEntry.step_id)
        ).all()
    )
    for step, wanted in zip(steps, wanted_per_step, strict=True):
        if entered.get(step["id"], 0) != wanted:
            problems.append(f"step {step['name']}: {entered.get(step['id'], 0)} != {wanted}")
    rows = db.session.execute(
        select(JourneyRun.entered, Campaign.status, func.count(Delivery.id))
        .join(Campaign, Campaign.id == JourneyRun.campaign_id)
        .outerjoin(Delivery, Delivery.campaign_id == Campaign.id)
        .group_by(JourneyRun.id, JourneyRun.entered, Campaign.status)
    ).all()
    for entered_count, status, deliveries in rows:
        if deliveries != entered_count or status != CampaignStatus.RUNNING:
            problems.append(f"a campaign: {deliveries} deliveries for {entered_count}, {status}")
    return problems


if __name__ == "__main__":
    sys.exit(run_in_scratch(parse_args(), run))
