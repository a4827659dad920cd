from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from voicecast.extensions import db
from voicecast.models.base import Timestamps


class Account(Timestamps, db.Model):
    """A dealership: the tenant that owns users, contacts and everything after them."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), default="FR")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    # The number campaigns call from when a seller has no callback line of their own.
    caller_id: Mapped[str | None] = mapped_column(String(16))
    # The calling-rule preset its campaigns inherit ("FR", "US"); None: no preset, only each
    # campaign's own window applies (voicecast.rules.presets).
    calling_rules: Mapped[str | None] = mapped_column(String(8))
    # How the account narrows its preset ({"attempt_cap": 3, "hours": [["10:00", "12:00"]]},
    # voicecast.rules.presets.RULE_CHANGES); None: the preset as it is.
    calling_rules_changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Where a callback rings when no seller can be found for the caller (the showroom's desk);
    # None: such callers leave a voicemail.
    fallback_number: Mapped[str | None] = mapped_column(String(16))
    # A callback goes to the seller whose message the caller got within this many days.
    attribution_days: Mapped[int] = mapped_column(Integer, default=30)
    # An outcome the dealer's system posts counts for the last drop or callback the contact
    # had within this many days before it (voicecast.outcomes.attribution).
    outcome_attribution_days: Mapped[int] = mapped_column(Integer, default=30)
    # Who sellers' text messages come from: an alphanumeric sender ID ("Garage Dupont" cut to
    # 11 characters), a Messaging Service (MG...) or an SMS-capable number of the account;
    # None: the account's first SMS-capable number, if any (voicecast.callbacks.senders).
    sms_sender: Mapped[str | None] = mapped_column(String(34))
