"""The dealer's nightly feed: the file its system last put, imported every day at the feed's
time of day in the account's zone, by the same import as an uploaded file (report and all).

The workers' periodic pass calls `start_due_feeds`. A run is claimed in the database: the
feed's cursor `next_run_at` moves on and the run's row is written in one transaction, the
row unique on (feed, due instant), so two workers never run one instant twice. The run's
import is then queued like any big file's (`queueing.enqueue_import`), and queued again by the
same machinery when Redis or its worker is lost. A day missed while no worker ran is not made
up for: the next run imports the file then on hand, which is the latest the dealer sent. A run
can also be asked for at once (`run_now`, `POST /feeds/{id}/runs`): the dealer's system just
put its file, or a manager wants to see the report without waiting for the night.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from voicecast import dialects
from voicecast.extensions import db
from voicecast.imports.queueing import enqueue_import
from voicecast.imports.reasons import language_of
from voicecast.models import Account, ContactImport, Feed, FeedRun
from voicecast.models.base import utcnow
from voicecast.observability.logs import job_logger

# Why a run imported nothing, in the account's language: (English, French).
NO_FILE = (
    "No file to import: the dealer's system has not put one yet (PUT /api/v1/feeds/{id}/file).",
    "Aucun fichier à importer : le système du concessionnaire n'en a pas encore déposé "
    "(PUT /api/v1/feeds/{id}/file).",
)


def next_run_after(run_at: str, zone: str, after: datetime) -> datetime:
    """The first instant after `after` that reads `run_at` ("HH:MM") on a clock of `zone`. A
    time a change of hour skips (02:30 on the spring night in Paris) runs an hour later that
    night; one it repeats, the first time."""
    tz = ZoneInfo(zone)
    hours, minutes = (int(part) for part in run_at.split(":"))
    day = after.astimezone(tz).date()
    for shift in range(3):
        local = datetime.combine(day + timedelta(days=shift), time(hours, minutes), tzinfo=tz)
        instant = local.astimezone(UTC)
        if instant > after:
            return instant
    raise AssertionError("a time of day comes within three days")


def schedule(feed: Feed, zone: str, now: datetime) -> None:
    """Set the feed's next run: its time of day after `now`."""
    feed.next_run_at = next_run_after(feed.run_at, zone, now)


def put_file(feed: Feed, filename: str, data: bytes, now: datetime) -> None:
    """Keep `data` as the file the feed's next runs import (replacing the previous one)."""
    feed.filename, feed.data = filename[:255], data
    feed.file_sha256 = hashlib.sha256(data).hexdigest()
    feed.file_size, feed.file_put_at = len(data), now


def start_due_feeds(now: datetime | None = None) -> list[int]:
    """Claim every active feed's run due at `now` and queue its import; the runs started."""
    now = now or utcnow()
    due = select(Feed.id, Feed.next_run_at).where(Feed.active.is_(True), Feed.next_run_at <= now)
    started = []
    for feed_id, due_at in db.session.execute(due.order_by(Feed.id)).all():
        run = claim_run(feed_id, due_at, now)
        if run is None:
            continue
        started.append(run.id)
        if run.import_id is not None:
            queue_at_best(run.import_id)
    return started


def queue_at_best(import_id: int) -> None:
    """Queue the run's import; with Redis away, `requeue_stranded_imports` queues it later
    (the run and its import are in the database already)."""
    try:
        enqueue_import(import_id)
    except (RedisError, OSError) as error:
        job_logger(__name__).warning("feed import %s not queued yet: %s", import_id, error)


def claim_run(feed_id: int, due_at: datetime, now: datetime) -> FeedRun | None:
    """The run of `feed_id` due at `due_at`, written with its import (queued, holding a copy
    of the file) and the feed's cursor moved on, in one transaction; None when another worker
    claimed it first or the feed changed meanwhile. Commits."""
    feed = db.session.scalar(dialects.for_writing(select(Feed).where(Feed.id == feed_id)))
    if feed is None or not feed.active or feed.next_run_at != due_at:
        db.session.rollback()
        return None
    account = db.session.get(Account, feed.account_id)
    schedule(feed, account.timezone, now)
    run = new_run(feed, account, due_at)
    try:
        db.session.commit()
    except IntegrityError:  # the same instant claimed by another worker: theirs stands
        db.session.rollback()
        return None
    return run


def new_run(feed: Feed, account: Account, due_at: datetime) -> FeedRun:
    """A run of the feed for `due_at`, added to the session: with its import (queued, holding
    a copy of the file on hand), or failed for want of a file, saying so."""
    run = FeedRun(account_id=feed.account_id, feed_id=feed.id, due_at=due_at,
                  file_sha256=feed.file_sha256)  # fmt: skip
    if feed.data is None:
        english, french = NO_FILE
        wording = french if language_of(account.country) == "fr" else english
        run.error = wording.format(id=feed.id)
    else:
        record = ContactImport(account_id=feed.account_id, filename=feed.filename or feed.name,
                               options=dict(feed.options), data=feed.data)  # fmt: skip
        db.session.add(record)
        db.session.flush()
        run.import_id = record.id
    db.session.add(run)
    return run


def run_now(feed: Feed, now: datetime) -> FeedRun:
    """A run of the file on hand asked for at `now`, outside the nightly schedule (whose next
    run stays due), its import queued. The caller has checked there is a file. Flushes."""
    run = new_run(feed, db.session.get(Account, feed.account_id), now)
    db.session.flush()
    return run
