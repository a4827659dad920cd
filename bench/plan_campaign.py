"""Benchmark: launching a campaign over 1,000,000 contacts, beside one RQ job per contact.

Run with `.venv/bin/python bench/plan_campaign.py` (needs the local PostgreSQL, or
`--database-url sqlite`). It migrates a fresh schema, inserts one account with a caller ID, a
seller with an active ready recording and N contacts (COPY; set-up, not measured), creates a
campaign (audience all, one recording) and launches it through the API. Then:

- planning: the real `workers.campaigns.plan_campaign` job run by a real RQ worker (`JobWorker`)
  (burst), timed from the launch request that enqueues it to the job done, while a thread
  samples Redis `used_memory` every 10 ms (growth = peak - before);
- baseline: what the hopper pattern avoids, one RQ job per contact
  (`workers.dialing.dial_attempts`, contact id), read from the database and enqueued with
  RQ's `enqueue_many` in pipelines of 1,000, timed and sampled the same way, then deleted.
  Its queue is `bench-baseline`, which no worker listens to, so nothing is dialed.

Targets: planning at least 10x faster than the baseline, Redis growth under 10 MB.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    DATABASE_HELP,
    DEFAULT_DATABASE_URL,
    REDIS_HELP,
    MemorySampler,
    insert_contacts,
    make_tenant,
    mb,
    point_environment,
    redis_server,
    scratch_database,
    timed,
)
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from voicecast import create_app
from voicecast.extensions import db
from voicecast.job_worker import JobWorker
from voicecast.jobs import DIAL_ATTEMPTS
from voicecast.models import Contact, Delivery
from voicecast.models.campaign import Campaign, CampaignStatus
from voicecast.queues import PLANNING, get_queue

TARGET_RATIO = 10.0
TARGET_GROWTH_MB = 10.0
BASELINE_QUEUE = "bench-baseline"
BASELINE_JOB = DIAL_ATTEMPTS.name
PIPELINE = 1_000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000, help="default: %(default)s")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help=DATABASE_HELP)
    parser.add_argument("--redis-url", default=None, help=REDIS_HELP)
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=0,
        metavar="N",
        help="enqueue only N baseline jobs and extrapolate linearly (default: all contacts)",
    )
    args = parser.parse_args(argv)
    if args.contacts < 1:
        parser.error("--contacts must be at least 1")
    if args.baseline_sample < 0 or args.baseline_sample > args.contacts:
        parser.error("--baseline-sample must be between 1 and --contacts (0: all)")
    return args


def create_campaign(app, tenant, **settings) -> int:
    """Create the campaign through the API (`settings` added to its body); returns its id."""
    client = app.test_client()
    created = client.post(
        "/api/v1/campaigns",
        headers=tenant.headers,
        json={
            "name": "Bench launch",
            "audience": {"kind": "all"},
            "message_policy": "recording",
            "recording_id": tenant.recording_id,
            "max_attempts": 1,
            "calling_window": {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"},
            **settings,
        },
    )
    if created.status_code != 201:
        raise SystemExit(f"creating the campaign failed: {created.status_code} {created.json}")
    return created.json["id"]


def plan(app, tenant, campaign_id: int, redis_url: str) -> tuple[float, int]:
    """Launch (which enqueues plan_campaign), run it with a real burst worker; returns the
    seconds from the launch request to the job done, and the Redis growth in bytes."""
    connection = Redis.from_url(redis_url)
    with app.app_context():
        queue = get_queue(PLANNING)
    worker = JobWorker([queue], connection=connection)
    client = app.test_client()
    with MemorySampler(redis_url) as memory:
        start = time.perf_counter()
        launched = client.post(f"/api/v1/campaigns/{campaign_id}/launch", headers=tenant.headers)
        if launched.status_code != 202:
            raise SystemExit(f"launch failed: {launched.status_code} {launched.json}")
        worker.work(burst=True, logging_level="WARNING")
        elapsed = time.perf_counter() - start
    failed = queue.failed_job_registry.count
    connection.close()
    if failed:
        raise SystemExit("the planning job failed; see the worker's log above")
    return elapsed, memory.growth


def baseline(app, redis_url: str, account_id: int, sample: int) -> tuple[float, int, int]:
    """Enqueue one RQ job per contact (the first `sample` contacts if given); returns seconds,
    Redis growth in bytes, and how many jobs were enqueued. Deletes them afterwards."""
    # No read timeout: deleting a million jobs is one long Lua script.
    connection = Redis.from_url(redis_url, socket_timeout=None)
    queue = Queue(BASELINE_QUEUE, connection=connection)
    queue.empty()

    def enqueue_all() -> int:
        count = 0
        with app.app_context():
            stmt = select(Contact.id).where(Contact.account_id == account_id).order_by(Contact.id)
            if sample:
                stmt = stmt.limit(sample)
            result = db.session.execute(stmt.execution_options(yield_per=PIPELINE))
            for chunk in result.scalars().partitions(PIPELINE):
                queue.enqueue_many(
                    [Queue.prepare_data(BASELINE_JOB, (contact_id,)) for contact_id in chunk]
                )
                count += len(chunk)
            db.session.remove()
        return count

    with MemorySampler(redis_url) as memory:
        elapsed, count = timed(enqueue_all)
    queued = queue.count
    queue.empty()
    queue.delete(delete_jobs=True)
    connection.close()
    if queued != count:
        raise SystemExit(f"baseline: {queued} jobs in the queue, {count} enqueued")
    return elapsed, memory.growth, count


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    n = args.contacts
    with tempfile.TemporaryDirectory(prefix="vc-bench-") as folder:
        instance = Path(folder)
        with (
            redis_server(args.redis_url, instance) as redis_url,
            scratch_database(args.database_url, instance) as database_url,
        ):
            point_environment(database_url, redis_url, instance)
            app = create_app()
            tenant = make_tenant(app)
            setup, _ = timed(lambda: insert_contacts(app, tenant, n))
            backend = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0].split("+")[0]
            print(f"set-up: {n:,} contacts inserted in {setup:.1f} s ({backend})", flush=True)
            campaign_id = create_campaign(app, tenant)

            plan_seconds, plan_growth = plan(app, tenant, campaign_id, redis_url)
            with app.app_context():
                planned = db.session.scalar(
                    select(func.count()).where(Delivery.campaign_id == campaign_id)
                )
                status = db.session.get(Campaign, campaign_id).status
                db.session.remove()
            print(
                f"plan {planned:,} deliveries: {plan_seconds:.1f} s, "
                f"Redis +{mb(plan_growth):.1f} MB",
                flush=True,
            )

            sample = args.baseline_sample
            seconds, growth, count = baseline(app, redis_url, tenant.account_id, sample)
            if count < n:
                label = f"{count:,}-job sample extrapolated to {n:,}"
                seconds, growth = seconds * n / count, growth * n / count
            else:
                label = "measured"
            print(
                f"baseline: enqueue {n:,} RQ jobs: {seconds:.0f} s, Redis +{mb(growth):.0f} MB "
                f"({label})",
                flush=True,
            )
            with app.app_context():
                db.engine.dispose()

    ratio = seconds / plan_seconds
    fast_met = ratio >= TARGET_RATIO
    small_met = mb(plan_growth) < TARGET_GROWTH_MB
    print(
        f"ratio {ratio:.1f}x faster; targets: >={TARGET_RATIO:.0f}x "
        f"({'met' if fast_met else 'NOT met'}), <{TARGET_GROWTH_MB:.0f} MB "
        f"({'met' if small_met else 'NOT met'})"
    )
    ok = planned == n and status == CampaignStatus.RUNNING
    if not ok:
        print(f"ERROR: {planned:,} deliveries for {n:,} contacts, campaign {status.value}")
    return 0 if ok and fast_met and small_met else 1


if __name__ == "__main__":
    sys.exit(main())
