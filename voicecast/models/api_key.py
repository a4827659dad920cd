from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from voicecast.extensions import db
from voicecast.models.base import UTCDateTime, hash_secret, utcnow
from voicecast.models.user import User

KEY_PREFIX = "vc_"


class ApiKey(db.Model):
    """An API key of one user. Only its hash is stored; the secret is shown once at creation."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiKey, str]:
        """A new key for `user` and its secret (the only time the secret exists in clear)."""
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        key = cls(
            account_id=user.account_id,
            user_id=user.id,
            name=name,
            prefix=secret[:11],
            key_hash=hash_secret(secret),
        )
        return key, secret

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
