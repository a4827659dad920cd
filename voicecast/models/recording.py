from __future__ import annotations

import enum
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from voicecast.extensions import db
from voicecast.models.base import UTCDateTime, enum_column, hash_secret, utcnow
from voicecast.models.user import User


class RecordingStatus(enum.StrEnum):
    UPLOADED = "uploaded"
    PROCESSING = "processing"
    READY = "ready"
    REJECTED = "rejected"

    @property
    def final(self) -> bool:
        return self in (RecordingStatus.READY, RecordingStatus.REJECTED)


class Purpose(enum.StrEnum):
    VOICEMAIL = "voicemail"  # left on the answering machine after the beep
    LIVE = "live"  # played when a person answers, if the campaign says so
    # A journey step's own message (`Recording.step_id`), left after the beep on that step's
    # days: recorded on the seller's page, in place of the general voicemail message.
    JOURNEY_STEP = "journey_step"


class Recording(db.Model):
    """One version of a seller's message for one purpose. Versions are kept as history; the
    seller's active one per purpose is what campaigns play."""

    __tablename__ = "recordings"
    __table_args__ = (Index("ix_recordings_seller_purpose", "seller_id", "purpose", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[Purpose] = mapped_column(enum_column(Purpose))
    version: Mapped[int] = mapped_column(Integer)
    # The journey step whose message it is (purpose journey_step only). No foreign key: a
    # recording is history that deliveries name (as their snapshot ids), whatever the step.
    step_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[RecordingStatus] = mapped_column(enum_column(RecordingStatus))
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    original_key: Mapped[str | None] = mapped_column(String(255))
    original_filename: Mapped[str | None] = mapped_column(String(255))
    original_content_type: Mapped[str | None] = mapped_column(String(100))
    original_bytes: Mapped[int] = mapped_column(Integer)
    carrier_key: Mapped[str | None] = mapped_column(String(255))
    carrier_sha256: Mapped[str | None] = mapped_column(String(64))
    preview_key: Mapped[str | None] = mapped_column(String(255))
    preview_sha256: Mapped[str | None] = mapped_column(String(64))
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    speech_seconds: Mapped[float | None] = mapped_column(Float)
    loudness_lufs: Mapped[float | None] = mapped_column(Float)
    true_peak_dbtp: Mapped[float | None] = mapped_column(Float)
    rejection_code: Mapped[str | None] = mapped_column(String(32))
    rejection_message: Mapped[str | None] = mapped_column(String(500))
    rejection_details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    seller: Mapped[User] = relationship()


class RecordingLink(db.Model):
    """A personal, expiring, revocable link that lets a seller record without a password."""

    __tablename__ = "recording_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    seller: Mapped[User] = relationship(foreign_keys=[seller_id])

    @classmethod
    def issue(
        cls, seller: User, created_by: User | None, ttl: timedelta
    ) -> tuple[RecordingLink, str]:
        """A new link for `seller` and its token (only its hash is stored)."""
        token = secrets.token_urlsafe(24)
        link = cls(
            account_id=seller.account_id,
            seller_id=seller.id,
            token_hash=hash_secret(token),
            created_by_id=created_by.id if created_by else None,
            expires_at=utcnow() + ttl,
        )
        return link, token

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now
