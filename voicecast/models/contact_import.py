from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from voicecast.extensions import db
from voicecast.models.base import Timestamps, UTCDateTime, enum_column


class ImportStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ContactImport(Timestamps, db.Model):
    """One customer file sent for import, and its report once read."""

    __tablename__ = "contact_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus), default=ImportStatus.QUEUED
    )
    # How to read the file: {"match_on": "phone"|"external_id", "mapping": {header: target}}.
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The file itself until it is read (in the database, so any worker on any host can read it).
    data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(500))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
