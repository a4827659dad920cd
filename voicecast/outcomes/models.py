"""An outcome the dealer's system posted, and what it was attributed to (or why not)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from voicecast.extensions import db
from voicecast.models.base import UTCDateTime, utcnow


class OutcomeKind(enum.StrEnum):
    APPOINTMENT_BOOKED = "appointment_booked"
    REPAIR_ORDER = "repair_order"
    VEHICLE_SOLD = "vehicle_sold"


class Touch(enum.StrEnum):
    """What an outcome is attributed to."""

    DROP = "drop"  # a message left on the voicemail, or a person reached by the call
    CALLBACK = "callback"  # the customer called the dealership back


class Unattributed(enum.StrEnum):
    """Why an outcome is attributed to nothing (it is kept, and counted apart)."""

    UNKNOWN_CONTACT = "unknown_contact"  # no contact by that external id or number
    NO_MESSAGE = "no_message"  # the contact had no drop nor callback before the outcome
    OUTSIDE_WINDOW = "outside_window"  # the last one was longer ago than the window


def short_enum(enum_type: type[enum.Enum]) -> Enum:
    return Enum(
        enum_type, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e]
    )


class Outcome(db.Model):
    """One outcome, once per (account, reference): a retry with the same reference is the same
    outcome. Its attribution is decided when it is recorded, under the window then in force
    (`attribution_days` keeps which), and never changes after."""

    __tablename__ = "outcomes"
    __table_args__ = (
        UniqueConstraint("account_id", "reference", name="uq_outcomes_account_reference"),
        Index("ix_outcomes_campaign", "campaign_id"),
        Index("ix_outcomes_account_seller", "account_id", "seller_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer)
    # The dealer system's own reference (a repair order number...): what makes a post idempotent.
    reference: Mapped[str] = mapped_column(String(100))
    kind: Mapped[OutcomeKind] = mapped_column(short_enum(OutcomeKind))
    # In the currency's hundredths (cents): sums stay exact.
    amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Who, as the request named them: the contact found, the number, the external id.
    contact_id: Mapped[int | None] = mapped_column(Integer)
    phone: Mapped[str | None] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(100))
    # The attribution: the drop (delivery) or callback (inbound call), when, its campaign and
    # seller; or `unattributed` with why.
    touch: Mapped[Touch | None] = mapped_column(short_enum(Touch))
    touched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery_id: Mapped[int | None] = mapped_column(Integer)
    inbound_call_id: Mapped[int | None] = mapped_column(Integer)
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    seller_id: Mapped[int | None] = mapped_column(Integer)
    unattributed: Mapped[Unattributed | None] = mapped_column(short_enum(Unattributed))
    attribution_days: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def amount(self) -> float | None:
        return None if self.amount_cents is None else self.amount_cents / 100
