"""Column helpers shared by the models."""

from __future__ import annotations

import enum
import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Enum, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column

from voicecast import clock


def utcnow() -> datetime:
    """Now, in UTC, from the application's clock (looked up at each call, so a test can set it)."""
    return clock.now()


def hash_secret(secret: str) -> str:
    """How API keys and link tokens are stored. They are 192 to 256 random bits, so a fast hash
    is enough and lets us look them up by it."""
    return hashlib.sha256(secret.encode()).hexdigest()


def enum_column(enum_type: type[enum.Enum]) -> Any:
    """An enum stored as its values in a short string column (no native type to migrate)."""
    return Enum(
        enum_type, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
    )


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every database (SQLite stores them without a zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
