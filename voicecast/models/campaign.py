"""Campaigns and what they owe each customer: one delivery per number, its dial attempts."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from voicecast.extensions import db
from voicecast.models.base import Timestamps, UTCDateTime, enum_column


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    PLANNING = "planning"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELED = "canceled"


class MessagePolicy(enum.StrEnum):
    RECORDING = "recording"  # everyone hears one chosen recording
    PER_SELLER = "per_seller"  # each contact hears their own seller's active recording


class CallerIdPolicy(enum.StrEnum):
    SELLER = "seller"  # the seller's own callback number, else the account's
    ACCOUNT = "account"


class HumanPolicy(enum.StrEnum):
    PLAY = "play"
    PLAY_LIVE = "play_live"  # the seller's "live" variant
    CONNECT = "connect"  # put the customer through to the seller
    HANG_UP = "hang_up"


class UnknownPolicy(enum.StrEnum):
    PLAY = "play"
    HANG_UP = "hang_up"


class Campaign(Timestamps, db.Model):
    """A drop-to-voicemail campaign of an account, from draft to completed."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[CampaignStatus] = mapped_column(enum_column(CampaignStatus))
    # {"kind": "all"} or {"kind": "contacts", "contact_ids": [...]}
    audience: Mapped[dict[str, Any]] = mapped_column(JSON)
    message_policy: Mapped[MessagePolicy] = mapped_column(enum_column(MessagePolicy))
    recording_id: Mapped[int | None] = mapped_column(
        ForeignKey("recordings.id", ondelete="SET NULL")
    )
    caller_id_policy: Mapped[CallerIdPolicy] = mapped_column(enum_column(CallerIdPolicy))
    human_policy: Mapped[HumanPolicy] = mapped_column(enum_column(HumanPolicy))
    unknown_policy: Mapped[UnknownPolicy] = mapped_column(enum_column(UnknownPolicy))
    max_attempts: Mapped[int] = mapped_column(Integer)
    retry_delays_seconds: Mapped[list[int]] = mapped_column(JSON)
    # {"days": [0..6] (Monday is 0), "start": "HH:MM", "end": "HH:MM"}, in each contact's zone
    calling_window: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The zones its deliveries are in, noted at planning: each dispatcher round claims only
    # deliveries whose zone is inside the calling window now.
    zones: Mapped[list[str] | None] = mapped_column(JSON)
    # Planning's cursor: the last contact id whose chunk is planned (committed with it).
    planned_through: Mapped[int | None] = mapped_column(Integer)
    calls_per_second: Mapped[float] = mapped_column(Float)
    max_in_flight: Mapped[int] = mapped_column(Integer)
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotentRequest(db.Model):
    """The answer given to a request sent with an Idempotency-Key, replayed on a retry."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (
        UniqueConstraint("account_id", "key", "endpoint", name="uq_idempotent_requests_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    endpoint: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


Index("ix_campaigns_account_status", Campaign.account_id, Campaign.status)
