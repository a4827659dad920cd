"""Benchmark: a dispatcher round's cost against the campaign's size, and planning's bounds.

Run with `.venv/bin/python bench/dispatch_scale.py` (PostgreSQL only). In a fresh schema, for
each size of `--sizes` (default 10,000, 100,000 and 1,000,000 contacts) an account gets that
many contacts (one INSERT ... SELECT over generate_series: set-up, not measured) and a
campaign over all of them, at 20 calls/s with 40 calls in flight. Then:

- planning: the campaign is launched through the API and its real planning job
  (`workers.campaigns.plan_campaign`) runs in a real RQ worker (`JobWorker`, burst), timed from
  the launch request to the job done, while a thread samples Redis `used_memory` every 10 ms
  (growth = peak - before). The largest transaction is read back from the database itself:
  the most deliveries sharing one `xmin` (the id of the transaction that inserted them).
- rounds: `--rounds` real dispatcher rounds (`voicecast.delivery.rounds.dispatch_round`, what the
  dispatch job runs: reconciliation every 5 s, the claim of due deliveries within
  max_in_flight, the dial jobs queued in Redis, the remaining check, the next round booked),
  each in a fresh app context like a job. Between rounds, untimed, the claimed calls end (the
  deliveries get `voicemail_left`) and the queued dial jobs are dropped, so every round claims
  a full budget of 40 like a campaign dialing at its pace.
- late rounds: the same again once all but the last tenth of the campaign has ended (set
  untimed, the table rewritten in id order as a long campaign leaves it, statistics fresh): a
  campaign's last rounds must not read the rows it is done with.

It prints each size's median round, early and late, and its ratio to the first size's, the
planning figures, and the machine's load average. Targets (issue 16): the last size's median
round within 1.5x of the first's, early and late; planning with Redis growth under 10 MB and no
transaction over 1,000,000 rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass

import plan_campaign
from _common import (
    DEFAULT_DATABASE_URL,
    REDIS_HELP,
    Tenant,
    make_tenant,
    mb,
    point_environment,
)
from _stack import run_in_scratch
from sqlalchemy import text

from voicecast import create_app
from voicecast.delivery.rounds import dispatch_round
from voicecast.extensions import db
from voicecast.models.campaign import Campaign, CampaignStatus
from voicecast.queues import DIALING, get_queue

TARGET_RATIO = 1.5
TARGET_GROWTH_MB = 10.0
TARGET_TRANSACTION_ROWS = 1_000_000
CALLS_PER_SECOND = 20.0
MAX_IN_FLIGHT = 40


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        help="campaign sizes in contacts, the first is the baseline (default: %(default)s)",
    )
    parser.add_argument("--rounds", type=int, default=30, help="per size (default: %(default)s)")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="PostgreSQL server URL; the benchmark works in a fresh schema it drops "
        "(default: %(default)s)",
    )
    parser.add_argument("--redis-url", default=None, help=REDIS_HELP)
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error("--sizes takes comma-separated integers")
    if not args.sizes or min(args.sizes) < 1 or args.rounds < 1:
        parser.error("sizes and --rounds must be at least 1")
    if args.database_url.startswith("sqlite"):
        parser.error("PostgreSQL only: the sizes it measures are PostgreSQL's")
    return args


@dataclass
class Result:
    size: int
    plan_seconds: float
    plan_growth: int
    largest_transaction: int
    rounds: list[float]
    late: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.rounds)

    @property
    def late_median(self) -> float:
        return statistics.median(self.late)


def load() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def insert_contacts(app, tenant: Tenant, count: int) -> None:
    """`count` contacts of the tenant's seller, written by the database itself."""
    with app.app_context():
        db.session.execute(
            text(
                "INSERT INTO contacts (account_id, phone, seller_id, attributes, created_at,"
                " updated_at) SELECT :account, '+336' || lpad(g::text, 8, '0'), :seller, '{}',"
                " now(), now() FROM generate_series(0, :count - 1) AS g"
            ),
            {"account": tenant.account_id, "seller": tenant.seller_id, "count": count},
        )
        db.session.commit()
        db.session.execute(text("ANALYZE contacts"))
        db.session.commit()
        db.session.remove()


def plan(app, tenant: Tenant, campaign_id: int, redis_url: str) -> tuple[float, int]:
    """The planning job, launched and run as `bench/plan_campaign.py` does; checks the
    campaign then runs."""
    seconds, growth = plan_campaign.plan(app, tenant, campaign_id, redis_url)
    with app.app_context():
        status = db.session.get(Campaign, campaign_id).status
        db.session.remove()
    if status != CampaignStatus.RUNNING:
        raise SystemExit(f"planning left the campaign {status.value}")
    return seconds, growth


def planned(app, campaign_id: int) -> tuple[int, int]:
    """How many deliveries the campaign has, and the most any one transaction inserted."""
    with app.app_context():
        rows = db.session.execute(
            text(
                "SELECT xmin::text, count(*) FROM deliveries WHERE campaign_id = :id"
                " GROUP BY xmin::text"
            ),
            {"id": campaign_id},
        ).all()
        db.session.execute(text("ANALYZE deliveries"))
        db.session.commit()
        db.session.remove()
    return sum(count for _, count in rows), max((count for _, count in rows), default=0)


def end_calls(app) -> int:
    """Untimed, between rounds: the calls claimed end (voicemail left) and the dial jobs
    queued for them are dropped. Returns how many calls ended."""
    with app.app_context():
        ended = db.session.execute(
            text(
                "UPDATE deliveries SET status = 'voicemail_left', updated_at = now()"
                " WHERE status = 'dialing'"
            )
        ).rowcount
        db.session.execute(text("UPDATE attempts SET state = 'completed' WHERE state = 'created'"))
        db.session.commit()
        get_queue(DIALING).empty()
        db.session.remove()
    return ended


def end_most(app, campaign_id: int, keep: int) -> None:
    """Untimed: every delivery but the last `keep` (by id) has ended, in the table where a
    long campaign leaves them (an ended row's new version fills space vacuumed before it, so
    the ended rows stand before the pending ones), statistics refreshed."""
    with app.app_context():
        db.session.execute(
            text(
                "UPDATE deliveries SET status = 'voicemail_left' WHERE campaign_id = :id"
                " AND status = 'pending' AND id <= (SELECT max(id) - :keep FROM deliveries"
                " WHERE campaign_id = :id)"
            ),
            {"id": campaign_id, "keep": keep},
        )
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # An UPDATE appends the new versions at the table's end: CLUSTER puts them back.
            conn.execute(text("CLUSTER deliveries USING pk_deliveries"))
            conn.execute(text("ANALYZE deliveries"))
        db.session.remove()


def rounds(app, campaign_id: int, count: int) -> list[float]:
    times = []
    for _ in range(count):
        with app.app_context():
            start = time.perf_counter()
            outcome = dispatch_round(campaign_id)
            times.append(time.perf_counter() - start)
            db.session.remove()
        claimed = end_calls(app)
        if outcome != "dispatched" or claimed != MAX_IN_FLIGHT:
            raise SystemExit(f"a round gave {outcome!r} and claimed {claimed}")
    return times


def measure(app, size: int, redis_url: str, round_count: int) -> Result:
    tenant = make_tenant(app)
    started = time.perf_counter()
    insert_contacts(app, tenant, size)
    print(f"{size:,} contacts written in {time.perf_counter() - started:.1f} s", flush=True)
    campaign_id = plan_campaign.create_campaign(
        app, tenant, calls_per_second=CALLS_PER_SECOND, max_in_flight=MAX_IN_FLIGHT
    )
    seconds, growth = plan(app, tenant, campaign_id, redis_url)
    count, largest = planned(app, campaign_id)
    if count != size:
        raise SystemExit(f"{count:,} deliveries planned for {size:,} contacts")
    with app.app_context():
        get_queue(DIALING).empty()  # the wake-up the plan job asked for
    times = rounds(app, campaign_id, round_count)
    # The last tenth, or enough for the late rounds' claims if that is more.
    end_most(app, campaign_id, max(size // 10, (round_count + 1) * MAX_IN_FLIGHT))
    late = rounds(app, campaign_id, round_count)
    result = Result(size, seconds, growth, largest, times, late)
    print(
        f"{size:,} contacts: plan {seconds:.1f} s (largest transaction {largest:,} rows, "
        f"Redis +{mb(growth):.2f} MB); {round_count} rounds: median {result.median * 1000:.1f}"
        f" ms (min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}), late median "
        f"{result.late_median * 1000:.1f} ms (min {min(late) * 1000:.1f}, max "
        f"{max(late) * 1000:.1f}); {load()}",
        flush=True,
    )
    return result


def run(args: argparse.Namespace, instance, database_url: str, redis_url: str) -> int:
    point_environment(database_url, redis_url, instance)
    app = create_app()
    results = [measure(app, size, redis_url, args.rounds) for size in args.sizes]
    with app.app_context():
        db.engine.dispose()
    base = results[0]
    print(f"median round per size, early and late ({load()}):")
    for result in results:
        print(
            f"  {result.size:>12,} contacts: {result.median * 1000:7.1f} ms"
            f"  {result.median / base.median:5.2f}x of {base.size:,};"
            f" late {result.late_median * 1000:7.1f} ms"
            f"  {result.late_median / base.late_median:5.2f}x"
        )
    last = results[-1]
    ratio = max(last.median / base.median, last.late_median / base.late_median)
    largest = max(result.largest_transaction for result in results)
    growth = max(result.plan_growth for result in results)
    round_met = ratio <= TARGET_RATIO
    plan_met = largest <= TARGET_TRANSACTION_ROWS and mb(growth) < TARGET_GROWTH_MB
    print(
        f"round at {last.size:,} = {ratio:.2f}x the round at {base.size:,} (the worse of early"
        f" and late); target "
        f"<= {TARGET_RATIO}x: {'met' if round_met else 'NOT met'}"
    )
    print(
        f"planning up to {max(args.sizes):,} contacts: largest transaction {largest:,} rows, "
        f"Redis +{mb(growth):.2f} MB; targets <= {TARGET_TRANSACTION_ROWS:,} rows and "
        f"< {TARGET_GROWTH_MB:g} MB: {'met' if plan_met else 'NOT met'}"
    )
    return 0 if round_met and plan_met else 1


def main(argv: list[str] | None = None) -> int:
    return run_in_scratch(parse_args(argv), run)


if __name__ == "__main__":
    sys.exit(main())
