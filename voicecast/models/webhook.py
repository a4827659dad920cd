"""Outbound webhooks: the URLs an account registers for its events, and the outbox of events
owed to each of them (the database is the truth; the sender job only works through it)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from voicecast.extensions import db
from voicecast.models.base import Timestamps, UTCDateTime, enum_column, utcnow


class WebhookEndpoint(Timestamps, db.Model):
    """A URL of the account's that hears about the events it subscribed to, signed with its
    secret."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_account", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    # The event types, comma-separated and comma-wrapped (",delivery.finished,opt_out,"): the
    # hot paths ask "does this account want it?" with one portable LIKE.
    event_types: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(String(200))
    # Kept as is (not hashed): every payload is signed with it.
    secret: Mapped[str] = mapped_column(String(100))
    # The secret before the last rotation, still signing until `previous_secret_until`.
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def events(self) -> list[str]:
        return [name for name in self.event_types.split(",") if name]

    @events.setter
    def events(self, names: list[str]) -> None:
        self.event_types = "," + ",".join(sorted(set(names))) + ","


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # to be sent at `next_attempt_at`
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"  # given up after the retry schedule (a manual retry sends it again)


class OutboxEvent(db.Model):
    """One event owed to one endpoint: written in the transaction of the change that caused
    it, sent (and re-sent) by `workers.outbound`. `body` is the exact JSON sent every time."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_outbox_endpoint_event"),
        Index("ix_webhook_outbox_due", "status", "next_attempt_at"),
        # The in-order rule: an endpoint's earlier events of the same campaign.
        Index("ix_webhook_outbox_stream", "endpoint_id", "campaign_id", "status"),
        # Pruning what was settled long ago (voicecast/outbound/retention.py).
        Index("ix_webhook_outbox_settled", "status", "last_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(32))
    # Events of one campaign reach an endpoint in the order they were written.
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(enum_column(OutboxStatus))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # The latest attempts, oldest first: [{"at", "status_code", "error", "duration_ms"}].
    attempt_log: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
