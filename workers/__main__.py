"""`python -m workers`: an RQ worker (with RQ's scheduler) on every Voicecast queue."""

from __future__ import annotations

import argparse
import logging

from rq import Worker

from voicecast.media.uploads import requeue_stranded
from voicecast.queues import QUEUE_NAMES
from voicecast.redis_client import get_redis
from workers.context import job_app


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
    app = job_app()  # built before forking so every work horse inherits it
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    with app.app_context():
        requeued = requeue_stranded()
        if requeued:
            logging.getLogger(__name__).info("queued again stranded recordings %s", requeued)
        worker = Worker(args.queues, connection=get_redis())
    worker.work(burst=args.burst, with_scheduler=not args.no_scheduler)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
