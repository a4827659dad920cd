from __future__ import annotations

import enum
import functools
import secrets
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from voicecast.extensions import db
from voicecast.models.account import Account
from voicecast.models.base import Timestamps, enum_column
from voicecast.models.phone_number import PhoneNumber


class Role(enum.StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SELLER = "seller"

    @property
    def sees_whole_account(self) -> bool:
        return self in (Role.ADMIN, Role.MANAGER)


class User(UserMixin, Timestamps, db.Model):
    """A person of an account. Sellers are users with the seller role; `phone` is where
    customers' callbacks ring them."""

    __tablename__ = "users"
    __table_args__ = (Index("ix_users_account_role", "account_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    name: Mapped[str] = mapped_column(String(200))
    # Stored lower-cased; one email is one login across the service.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(16))
    # When callbacks may ring the seller (`{"days", "start", "end"}` like a campaign's window,
    # in the account's zone); None: at any time. Outside it callers go to voicemail.
    available_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # One of the service's operators (RQ's dashboard, anything spanning accounts): granted only
    # on the server (`voicecast operators grant`), never through the API or a page.
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Moves at logout and at each password change: a session remembers the epoch it was opened
    # in, and one from an older epoch logs nobody in (cookies are signed, not stored: this is
    # how a copied cookie stops working).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    account: Mapped[Account] = relationship()
    # The seller's own callback line, if they have one (voicecast.models.PhoneNumber).
    line: Mapped[PhoneNumber | None] = relationship(
        primaryjoin="foreign(PhoneNumber.seller_id) == User.id", viewonly=True, uselist=False
    )

    @property
    def callback_number(self) -> str | None:
        """The seller's own line: the caller ID of their drops (campaign policy "seller")."""
        return self.line.number if self.line is not None else None

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated users cannot log in
        return self.active

    def get_id(self) -> str:  # Flask-Login: what the session cookie names
        return f"{self.id}:{self.session_epoch}"

    def end_sessions(self) -> None:
        """Every session opened so far stops working at its next request (once committed)."""
        self.session_epoch = (self.session_epoch or 0) + 1

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return password_matches(self.password_hash, password)


@functools.cache
def dummy_password_hash() -> str:
    """A hash no password matches, made the way real ones are (so checking it costs the same)."""
    return generate_password_hash(secrets.token_urlsafe(32))


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches `stored_hash`. With no hash (no such user, or no password set)
    a dummy hash is checked all the same: a login takes as long whether the email exists or not,
    so its time does not tell which emails have an account."""
    matches = check_password_hash(stored_hash or dummy_password_hash(), password)
    return bool(stored_hash) and matches
