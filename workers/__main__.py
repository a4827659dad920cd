"""`python -m workers`: an RQ worker (with RQ's scheduler, supervised) on every Voicecast queue."""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os

from flask import Flask

from voicecast.delivery.dispatch import revive_campaigns
from voicecast.follow_through.reconcile import settle_lost_call_backs
from voicecast.imports.feeds import start_due_feeds
from voicecast.imports.queueing import requeue_stranded_imports
from voicecast.job_worker import JobWorker
from voicecast.jobs import job_modules
from voicecast.journeys.evaluation import queue_evaluation
from voicecast.media.uploads import requeue_stranded
from voicecast.outbound.retention import prune_outbox_hourly
from voicecast.outbound.sender import revive_outbox
from voicecast.proc import load_prctl, parent_death_signal_setter
from voicecast.queues import QUEUE_NAMES
from voicecast.redis_client import get_redis
from workers.context import job_app

log = logging.getLogger(__name__)
# How often a worker checks that what the database says is unfinished has work queued.
REVIVE_EVERY_S = 30


def revive(app: Flask) -> None:
    """Rebuild lost Redis state from the database (the database is the truth), prune the
    webhook outbox once an hour, evaluate the journeys every quarter hour, start the feeds'
    runs due and settle the call backs whose webhooks were lost."""
    with app.app_context():
        recordings = requeue_stranded()
        imports = requeue_stranded_imports()
        start_due_feeds()  # nightly files: each feed at its time of day
        campaigns = revive_campaigns()
        revive_outbox()  # events owed to webhooks: a round now, or at the next retry
        queue_evaluation()  # journeys: once a quarter hour
        settle_lost_call_backs()  # a seller's call back whose webhooks were lost
        pruned = prune_outbox_hourly()
    if recordings or imports or campaigns:
        log.info("queued again: recordings %s, imports %s, campaigns %s", recordings, imports,
                 campaigns)  # fmt: skip
    if pruned:
        log.info("outbox: %s settled events older than WEBHOOK_KEEP_DAYS deleted", pruned)


class VoicecastWorker(JobWorker):
    """Our job worker, whose maintenance pass (every REVIVE_EVERY_S; the scheduler is looked
    after every second) also revives unfinished work (after Redis was lost, the dispatcher
    rounds are gone with it)."""

    def periodic_maintenance(self) -> None:
        revive(job_app())


def children_die_with_worker() -> None:
    """Have every process this worker forks (RQ's scheduler) die with it. A fork holds copies
    of the worker's database sockets: a scheduler outliving a SIGKILLed worker would keep its
    connection open, and the transaction it was in, with its row locks, forever."""
    set_death_signal = parent_death_signal_setter(load_prctl())
    if set_death_signal is not None:
        os.register_at_fork(after_in_child=set_death_signal)


# The job modules, imported before the first job so that they are frozen with the rest.
JOB_MODULES = job_modules()


def settle_the_heap() -> None:
    """Load the job modules, then keep everything loaded so far out of the garbage collector's
    way: it lives as long as the worker, and a full collection of it paused the worker for up
    to 250 ms, between a call's pace slot and its request (bench/pacing.py)."""
    for name in JOB_MODULES:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m workers", description=__doc__)
    parser.add_argument(
        "queues",
        nargs="*",
        default=list(QUEUE_NAMES),
        help="queues to work on, in priority order (default: all)",
    )
    parser.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    parser.add_argument("--no-scheduler", action="store_true", help="do not run RQ's scheduler")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    children_die_with_worker()
    app = job_app()
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    revive(app)
    with app.app_context():
        worker = VoicecastWorker(
            args.queues, connection=get_redis(), maintenance_interval=REVIVE_EVERY_S
        )
    settle_the_heap()
    worker.work(burst=args.burst, with_scheduler=not args.no_scheduler)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
