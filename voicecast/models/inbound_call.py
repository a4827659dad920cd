from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from voicecast.extensions import db
from voicecast.models.base import UTCDateTime, enum_column, utcnow


class CallbackOutcome(enum.StrEnum):
    """How a customer's callback ended. `rank` orders them: an outcome only moves up."""

    ABANDONED = "abandoned"  # hung up before reaching the seller or leaving a message
    VOICEMAIL_LEFT = "voicemail_left"
    CONNECTED = "connected"
    OPTED_OUT = "opted_out"

    @property
    def rank(self) -> int:
        return {"abandoned": 1, "voicemail_left": 2, "connected": 3, "opted_out": 3}[self.value]


class InboundCall(db.Model):
    """A customer calling one of the account's numbers: who called, who it was routed to and
    why, and how it ended. Kept for good (campaign stats count callbacks from it)."""

    __tablename__ = "inbound_calls"
    __table_args__ = (
        Index("ix_inbound_calls_account_started", "account_id", "started_at"),
        Index("ix_inbound_calls_campaign", "campaign_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(16))
    contact_id: Mapped[int | None] = mapped_column(Integer)
    # The drop this callback answers (the last one the number received within the
    # attribution window), and its campaign.
    delivery_id: Mapped[int | None] = mapped_column(Integer)
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    seller_id: Mapped[int | None] = mapped_column(Integer)
    # Why it went where it went: seller_line, last_message, assigned_seller, fallback, none.
    route: Mapped[str] = mapped_column(String(16))
    # The number dialed (seller's phone or the account's fallback); None: straight to voicemail.
    dialed_number: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[CallbackOutcome | None] = mapped_column(enum_column(CallbackOutcome))
    dial_status: Mapped[str | None] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)
    recording_sid: Mapped[str | None] = mapped_column(String(64))
    recording_url: Mapped[str | None] = mapped_column(String(500))
    recording_seconds: Mapped[int | None] = mapped_column(Integer)
    # What the seller was last told: "missed" (no message) or "voicemail" (with its link).
    notified_kind: Mapped[str | None] = mapped_column(String(16))
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notification: Mapped[str | None] = mapped_column(String(200))
