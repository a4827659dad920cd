"""A seller's call back of a missed callback: the seller's leg, the customer's leg, and how
it ended. `CallBack` is exported by `voicecast.models`."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from voicecast.extensions import db
from voicecast.models.base import UTCDateTime, enum_column, utcnow


class CallBackOutcome(enum.StrEnum):
    """How a call back ended. `rank` orders them: an outcome only moves up (a late status
    callback never undoes what the Dial's action said)."""

    SELLER_NO_ANSWER = "seller_no_answer"  # the seller's phone was not answered, or not by 1
    NO_ANSWER = "no_answer"  # the seller pressed 1, the customer did not answer
    REACHED = "reached"  # the customer answered
    REFUSED = "refused"  # not placed: a calling rule or the carrier refused (`refusal` says)

    @property
    def rank(self) -> int:
        return {"seller_no_answer": 1, "no_answer": 2, "reached": 3, "refused": 3}[self.value]


class CallBack(db.Model):
    """One press of the call-back button: ring `seller_phone` from `from_number` (the
    number the customer called), then, once the seller pressed 1, `customer_number`."""

    __tablename__ = "call_backs"
    __table_args__ = (
        Index("ix_call_backs_account_seller", "account_id", "seller_id"),
        Index("ix_call_backs_inbound_call", "inbound_call_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    inbound_call_id: Mapped[int] = mapped_column(ForeignKey("inbound_calls.id", ondelete="CASCADE"))
    seller_id: Mapped[int] = mapped_column(Integer)
    seller_phone: Mapped[str] = mapped_column(String(16))
    customer_number: Mapped[str] = mapped_column(String(32))
    from_number: Mapped[str] = mapped_column(String(16))
    seller_call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    customer_call_sid: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[CallBackOutcome | None] = mapped_column(enum_column(CallBackOutcome))
    refusal: Mapped[str | None] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seller_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    customer_dialed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)

    def move_to(self, outcome: CallBackOutcome) -> bool:
        """Set `outcome` unless one of its rank or above is there; True if set."""
        if self.outcome is not None and self.outcome.rank >= outcome.rank:
            return False
        self.outcome = outcome
        return True
