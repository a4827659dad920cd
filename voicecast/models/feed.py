"""A nightly feed from the dealer's system: the file it last dropped, when to import it each
day, and each run with its import (the same import, report and all, as an uploaded file)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from voicecast.extensions import db
from voicecast.models.base import Timestamps, UTCDateTime, utcnow


class Feed(Timestamps, db.Model):
    """An account's feed: the dealer's system puts a file (`PUT /feeds/{id}/file`), and every
    day at `run_at` in the account's zone the file on hand is imported."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    run_at: Mapped[str] = mapped_column(String(5))  # "HH:MM", the account's local time
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # How to read the file, as an import's options (match_on, mapping, date_order).
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The scheduler's cursor: the next instant a run is due (claimed by moving it on).
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The file last put, kept until another replaces it (each run imports a copy).
    filename: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_size: Mapped[int | None] = mapped_column(Integer)
    file_put_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FeedRun(db.Model):
    """One scheduled run of a feed: the import of its file (its status and report are the
    import's), or why there was none (`error`)."""

    __tablename__ = "feed_runs"
    # A due instant is run once, whichever worker claims it first.
    __table_args__ = (UniqueConstraint("feed_id", "due_at", name="uq_feed_runs_feed_due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the scheduled instant it ran for
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_imports.id", ondelete="SET NULL")
    )
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(500))  # a run without an import: why
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


Index("ix_feeds_due", Feed.active, Feed.next_run_at)
Index("ix_feed_runs_feed", FeedRun.feed_id, FeedRun.id)
