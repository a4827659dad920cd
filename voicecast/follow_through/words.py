"""A call back in words: the customer's name, why it was refused, how it ended, and a delay
as people read it; in the account's language (`wording.py`)."""

from __future__ import annotations

from datetime import datetime

from voicecast.callbacks.wording import contact_name
from voicecast.extensions import db
from voicecast.follow_through.models import CallBack
from voicecast.follow_through.wording import texts_for
from voicecast.i18n import account_locale, local_time, zone_name
from voicecast.models import Contact, InboundCall


def customer_of(row: CallBack | InboundCall, country: str | None) -> str:
    """The customer's name, else their number in national form."""
    call = row if isinstance(row, InboundCall) else db.session.get(InboundCall, row.inbound_call_id)
    contact = db.session.get(Contact, call.contact_id) if call.contact_id else None
    return contact_name(contact, call.from_number, country)


def refusal_words(
    code: str,
    customer: str,
    country: str | None,
    zone: str | None = None,
    opens: datetime | None = None,
) -> str:
    """Why a call back cannot be (or could not be) placed. `code` is a `Refusal`'s code,
    `holiday:<name>`, or `carrier:<detail>`; the next opening is said when known."""
    texts = texts_for(country)
    name, _, detail = code.partition(":")
    locale = account_locale(country)
    template = texts["refusal"].get(name, texts["refusal"]["carrier"])
    words = template.format(
        customer=customer,
        zone=zone_name(zone, locale) if zone else "",
        holiday=detail,
        detail=detail or name,
        opens=local_time(opens, zone, "datetime", locale) if opens and zone else "?",
    )
    if opens is None and name in ("hours", "holiday"):
        words = words.split(";")[0].rstrip() + "."
    return words.replace(" ()", "")  # no zone to name (a call back recorded earlier)


def duration_words(seconds: float | None, country: str | None) -> str | None:
    """A delay to call back, short: "45 s", "12 min", "3 h 05", "2 j 4 h" ("2 d 4 h")."""
    if seconds is None:
        return None
    seconds = round(seconds)
    day = "j" if account_locale(country) == "fr" else "d"
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d}"
    days, hours = divmod(hours, 24)
    return f"{days} {day} {hours} h"


def outcome_words(row: CallBack, country: str | None) -> str | None:
    """How the call back ended, for the seller's page; None while it is under way."""
    if row.outcome is None:
        return None
    texts = texts_for(country)
    customer = customer_of(row, country)
    reason = refusal_words(row.refusal or "", customer, country) if row.refusal else ""
    talk = duration_words(row.talk_seconds or 0, country)
    return texts["outcome"][row.outcome.value].format(customer=customer, reason=reason, talk=talk)
