from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from voicecast.extensions import db
from voicecast.models.base import Timestamps, UTCDateTime


class Contact(Timestamps, db.Model):
    """A customer of the dealership, reachable at one E.164 number per account."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("account_id", "phone", name="uq_contacts_account_phone"),
        UniqueConstraint("account_id", "external_id", name="uq_contacts_account_external_id"),
        Index("ix_contacts_account_seller", "account_id", "seller_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The account and seller ids are deliberately without foreign keys: on PostgreSQL each key
    # checks every inserted row in a trigger, which made importing a file twice as slow. The
    # application never deletes accounts nor users (sellers are deactivated), and every writer
    # takes both ids from the caller's account (contacts API, imports: the account's sellers).
    account_id: Mapped[int] = mapped_column(Integer)
    phone: Mapped[str] = mapped_column(String(16))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    seller_id: Mapped[int | None] = mapped_column(Integer)
    # JSONB on PostgreSQL: segments read attributes of every contact, JSON text would be
    # parsed again for each condition (4.3 s for a 3-condition segment over 1M contacts).
    attributes: Mapped[dict[str, Any]] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql"), default=dict
    )
    # The dealership's own customer number, to match re-imports on.
    external_id: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(16))
    # What the numbering plan says: "mobile", "fixed", "voip", ... (voicecast.phones.LINE_TYPES).
    line_type: Mapped[str | None] = mapped_column(String(16))
    # The contact's own zone (from the postal code, else the number); None: the account's.
    timezone: Mapped[str | None] = mapped_column(String(64))
    # The number's zone when it differs from the postal code's (`time_zones.contact_zones`): the
    # contact is called only while the window is open in both.
    alt_timezone: Mapped[str | None] = mapped_column(String(64))
    # Its US states, space-separated: the file's state column's or the ZIP code's, then the
    # number's area code's when another ("FL CA"); each one's rules apply
    # (`rules.us_states.contact_regions`). None outside the US.
    regions: Mapped[str | None] = mapped_column(String(16))
    # The legal basis for calling: consent (when, how, its proof; withdrawn when), and/or an
    # ongoing contract (what, until when). See voicecast/api/legal_basis.py.
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_source: Mapped[str | None] = mapped_column(String(100))
    consent_proof: Mapped[str | None] = mapped_column(String(1000))
    consent_withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contract_kind: Mapped[str | None] = mapped_column(String(100))
    contract_ends_on: Mapped[date | None] = mapped_column(Date)
    # When the contact last refused a call (presets keep silence for a while after it).
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
