"""The calling rules of a call back: which of a campaign's rules a seller returning a
customer's call obeys, and why.

A call back returns a call the customer made, by a seller on the line (no recorded message):
it is no canvassing. France's canvassing rules (the consent required since August 2026, at
most 4 attempts in 30 days, 60 days of silence after a refusal) and the US rules on
prerecorded telemarketing (written consent) are not what governs it, and applying them would
refuse the very call the customer asked for; so the legal basis, the attempt cap and the
silence after a refusal are not checked, and a call back is not counted as an attempt.
What a call back obeys all the same (shared/notes/compliance.md):
- the do-not-call list, always: an objection is absolute (GDPR art. 21; US revocation by any
  reasonable means), whatever channel it came by; checked when the button is pressed and again
  when the seller presses 1, since an opt-out can arrive in between;
- the account's calling days and hours (its preset as it narrowed it, with the public
  holidays) in the customer's time zones: the service places the call, and a customer is not
  rung at night or on a Sunday because a seller read their text late;
- the caller ID: the dealership's number the customer called (never the seller's mobile).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from voicecast.extensions import db
from voicecast.models import Account, Contact, InboundCall, Suppression
from voicecast.phones import InvalidPhone, describe
from voicecast.rules.presets import account_rules
from voicecast.rules.schedule import Schedule

ALL_DAY = {"days": list(range(7)), "start": "00:00", "end": "23:59"}


@dataclass(frozen=True)
class Refusal:
    """Why the customer may not be called now: `code` (do_not_call, hours, holiday), the zone
    that is closed, the holiday's name, and when calls may next be placed (None: not within a
    year, or never for the do-not-call list)."""

    code: str
    zone: str | None = None
    holiday: str | None = None
    opens: datetime | None = None


def on_do_not_call_list(account_id: int, number: str) -> bool:
    found = db.session.scalar(
        select(Suppression.id).where(
            Suppression.account_id == account_id, Suppression.phone == number[:16]
        )
    )
    return found is not None


def customer_zones(call: InboundCall, account: Account) -> list[str]:
    """The customer's zones: the contact's (and its second one), else their number's, else
    the account's."""
    contact = db.session.get(Contact, call.contact_id) if call.contact_id else None
    if contact is not None and contact.timezone:
        return [zone for zone in (contact.timezone, contact.alt_timezone) if zone]
    try:
        zone = describe(call.from_number, account.country).timezone
    except InvalidPhone:
        zone = None
    return [zone or account.timezone]


def schedule_of(account: Account) -> Schedule:
    """The account's calling days and hours, with its public holidays."""
    preset = account_rules(account.calling_rules, account.calling_rules_changes)
    return Schedule.of(ALL_DAY, preset)


def refusal(call: InboundCall, now: datetime) -> Refusal | None:
    """None when the seller may call the customer back now, else why not."""
    account = db.session.get(Account, call.account_id)
    if on_do_not_call_list(call.account_id, call.from_number):
        return Refusal("do_not_call")
    schedule, zones = schedule_of(account), customer_zones(call, account)
    closed = schedule.closed_in(zones, now)
    if closed is None:
        return None
    zone, why = closed
    opens = schedule.next_opening_in(zones, now)
    if why == "hours":
        return Refusal("hours", zone, None, opens)
    return Refusal("holiday", zone, why, opens)


def refusal_code(refused: Refusal | None) -> str | None:
    """How a rule's refusal is kept on the call back (`words.refusal_words` reads it)."""
    if refused is None:
        return None
    return f"holiday:{refused.holiday}" if refused.holiday else refused.code
