from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from voicecast.extensions import db
from voicecast.models.base import Timestamps


class Suppression(Timestamps, db.Model):
    """A number the account must not call: its do-not-call list. Consulted when a campaign is
    planned and again right before each dial."""

    __tablename__ = "suppressions"
    __table_args__ = (
        UniqueConstraint("account_id", "phone", name="uq_suppressions_account_phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(16))
    # Who asked: "api" (added by a manager), "callback" (the opt-out key when calling back),
    # "opt_out_key" (the key pressed during a drop's message), "import".
    source: Mapped[str] = mapped_column(String(16), default="api")
    reason: Mapped[str | None] = mapped_column(String(200))
