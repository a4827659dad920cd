"""What a campaign owes each number: one delivery, and the dial attempts made for it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from voicecast.extensions import db
from voicecast.models.base import UTCDateTime, enum_column, utcnow


class DeliveryStatus(enum.StrEnum):
    EXCLUDED = "excluded"  # never dialed; `reason` says why
    PENDING = "pending"  # due at `next_attempt_at`
    DIALING = "dialing"  # an attempt is in flight
    VOICEMAIL_LEFT = "voicemail_left"  # the message after the beep played to its end
    VOICEMAIL_CUT = "voicemail_cut"  # the message started after the beep, the call ended first
    # Played to its end after an `unknown` verdict (a greeting outlasting the detection
    # timeout): no beep was heard, so nothing proves the mailbox recorded it whole. Final:
    # dialing again would meet the same greeting, and may drop the message twice.
    VOICEMAIL_UNSURE = "voicemail_unsure"
    HUMAN_REACHED = "human_reached"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    CANCELED = "canceled"
    # Answered by what cannot take a message (a fax, or `unknown` under hang_up): final, with
    # what answered as its reason; dialing again would meet it again.
    UNDELIVERABLE = "undeliverable"

    @property
    def final(self) -> bool:
        return self not in (DeliveryStatus.PENDING, DeliveryStatus.DIALING)


class Delivery(db.Model):
    """One number of a campaign's audience. A number is in a campaign at most once, which is
    what makes "never the same message twice" checkable by the database itself."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("campaign_id", "phone", name="uq_deliveries_campaign_phone"),
        Index("ix_deliveries_due", "campaign_id", "status", "next_attempt_at"),
        # A dispatcher round's claim, in its own order: it reads the few rows it takes
        # whatever the campaign's size (without it the database sorted every pending row).
        Index(
            "ix_deliveries_pending",
            "campaign_id",
            "next_attempt_at",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        # A number's attempts across the account's campaigns (the rolling attempt cap).
        Index("ix_deliveries_account_phone", "account_id", "phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The ids are a snapshot taken at planning, deliberately without foreign keys: on
    # PostgreSQL each key costs a trigger per inserted row, which made planning a million
    # deliveries twice as slow. A campaign with deliveries is never deleted (only drafts are);
    # deleting a contact clears its contact_id (`planning.forget_contact`).
    campaign_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(Integer)
    contact_id: Mapped[int | None] = mapped_column(Integer)
    phone: Mapped[str] = mapped_column(String(16))
    # The zone its calling window is read in: the contact's, else the account's (at planning).
    timezone: Mapped[str | None] = mapped_column(String(64))
    # The contact's second zone (`Contact.alt_timezone`): dialed only while both are open.
    alt_timezone: Mapped[str | None] = mapped_column(String(64))
    # The contact's US states (`Contact.regions`), whose state rules apply (rules/us_states.py).
    regions: Mapped[str | None] = mapped_column(String(16))
    seller_id: Mapped[int | None] = mapped_column(Integer)
    recording_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus))
    reason: Mapped[str | None] = mapped_column(String(64))
    # Attempts that reached the carrier (or may have): what max_attempts counts.
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    # Attempts that never reached the carrier: they count towards neither max_attempts nor the
    # attempt cap, only towards NEVER_PLACED_RETRIES (`calls.settle_never_placed`).
    unplaced_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AttemptState(enum.StrEnum):
    CREATED = "created"  # recorded, not yet sent to the carrier
    DIALING = "dialing"  # the create request is (or was) on its way: the outcome is unknown
    QUEUED = "queued"  # the carrier has it (we hold its sid)
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"


class Attempt(db.Model):
    """One call placed (or about to be) for a delivery. Recorded before dialing, so that a
    worker killed mid-dial leaves a trace the reconciler can settle with the carrier."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("delivery_id", "number", name="uq_attempts_delivery_number"),
        Index("ix_attempts_state", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[AttemptState] = mapped_column(enum_column(AttemptState))
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    last_sequence: Mapped[int] = mapped_column(Integer, default=-1)
    answered_by: Mapped[str | None] = mapped_column(String(32))
    # The recording the call was told to play (none: nothing was played). A snapshot id.
    played_recording_id: Mapped[int | None] = mapped_column(Integer)
    # Async AMD's MachineDetectionDuration: when the verdict came, in ms after the answer (for a
    # machine, about when its beep sounded and the message could start).
    detection_ms: Mapped[int | None] = mapped_column(Integer)
    # The carrier's CallDuration (s) of the ended call, as it reported it.
    call_duration: Mapped[int | None] = mapped_column(Integer)
    # When the carrier asked for what follows the message (`<Redirect>` after its `<Play>`):
    # it does only once the message played to its end with the call up, so this, not the
    # call's duration, is what makes a voicemail left (`attempt_states.outcome_of`).
    message_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Since when the verdict's redirect to the message awaits the carrier's answer: the call's
    # end waits for it to be decided (`attempt_states.awaits_verdict`), as its verdict's.
    redirecting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))
    error_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dialed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the person who answered pressed the opt-out key during the message (the number went
    # on the do-not-call list then): `voicecast.delivery.optout`.
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The calling rules it was dialed under ("FR", "US", "none"): the audit trail.
    rules: Mapped[str | None] = mapped_column(String(8))
    # What the carrier charged, read from the call some time after it ended (a cost, so
    # positive; Twilio writes it negative), in `price_unit` (e.g. "EUR", "USD").
    price: Mapped[float | None] = mapped_column(Float)
    price_unit: Mapped[str | None] = mapped_column(String(3))
