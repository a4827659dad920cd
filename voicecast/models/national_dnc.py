"""The National Do Not Call registry as a US account loaded it: the numbers of each area
code's scrub (the FTC's download), and per area code the day that scrub was downloaded."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from voicecast.extensions import db
from voicecast.models.base import Timestamps


class NationalDncScrub(Timestamps, db.Model):
    """One area code's scrub on file: when it was downloaded from the registry, how many of
    its numbers are registered. A new import of the area code replaces it."""

    __tablename__ = "national_dnc_scrubs"
    __table_args__ = (
        UniqueConstraint("account_id", "area_code", name="uq_national_dnc_scrubs_area_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    area_code: Mapped[str] = mapped_column(String(3))
    downloaded_on: Mapped[date] = mapped_column(Date)
    numbers: Mapped[int] = mapped_column(Integer, default=0)


class NationalDncNumber(db.Model):
    """A number on the registry, from the account's scrub of its area code."""

    __tablename__ = "national_dnc_numbers"
    __table_args__ = (
        UniqueConstraint("account_id", "phone", name="uq_national_dnc_numbers_account_phone"),
        Index("ix_national_dnc_numbers_area_code", "account_id", "area_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Without a foreign key, like contacts: a scrub holds up to millions of rows, and the
    # scrub row of its area code (which has one) goes with the account.
    account_id: Mapped[int] = mapped_column(Integer)
    area_code: Mapped[str] = mapped_column(String(3))
    phone: Mapped[str] = mapped_column(String(16))
