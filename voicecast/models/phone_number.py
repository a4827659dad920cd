from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from voicecast.extensions import db
from voicecast.models.base import Timestamps


class PhoneNumber(Timestamps, db.Model):
    """A number of the account's carrier account that customers call back. A seller's own line
    (`seller_id` set) rings that seller and is the caller ID of their drops; a shared line
    (`seller_id` None) routes each caller to the seller whose message they got."""

    __tablename__ = "phone_numbers"
    __table_args__ = (
        # One number routes to one account; a seller has at most one line of their own.
        UniqueConstraint("number", name="uq_phone_numbers_number"),
        UniqueConstraint("seller_id", name="uq_phone_numbers_seller"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(16))
    seller_id: Mapped[int | None] = mapped_column(Integer)
    friendly_name: Mapped[str | None] = mapped_column(String(100))
    # The carrier's id of the number (Twilio's PN...), when it was read from the carrier.
    carrier_sid: Mapped[str | None] = mapped_column(String(34))
    # The carrier's `capabilities.sms` for it (read by `numbers sync`); None: never read.
    sms_capable: Mapped[bool | None] = mapped_column(Boolean)

    @property
    def kind(self) -> str:
        return "seller" if self.seller_id is not None else "shared"
