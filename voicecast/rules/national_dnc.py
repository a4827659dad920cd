"""The National Do Not Call registry (US), written once: a number on the account's scrub is
not called unless the person gave written consent, or has an established business
relationship with the dealership within the legal periods (47 CFR 64.1200(c)(2), (f)(5)).

What is on record for the relationship is the contract (`contract_kind`, `contract_ends_on`):
a contract not ended is a relationship today; an ended one dates the last purchase, delivery
or payment at its last day, which keeps the relationship for 18 months. An inquiry (3 months)
is not on record, so it never opens the exemption. `eligibility.excluded_because` reads the
rule, so planning, the preview, the rounds and the dial claim all apply it.

The scrub is what the account downloaded, per area code, on a day it states: older than 31
days (64.1200(c)(2)(i)(D)) or missing for an area code of a campaign's contacts, the preview
and the campaign page warn (`scrub_warnings`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, or_, select

from voicecast import clock
from voicecast.extensions import db
from voicecast.journeys.moments import add_months
from voicecast.models import Account, Contact, NationalDncNumber, NationalDncScrub

NATIONAL_DNC = "national_dnc"
# 47 CFR 64.1200(f)(5): a purchase or transaction within the 18 months before the call.
RELATIONSHIP_MONTHS = 18
# 64.1200(c)(2)(i)(D): a version of the registry obtained no more than 31 days before the call.
SCRUB_VALID_DAYS = 31
# The registry is the United States'; its numbers are +1 with a 3-digit area code.
COUNTRY = "US"


def relationship_since(today: date) -> date:
    """The first day whose purchase or payment still makes a relationship on `today`."""
    return add_months(today, -RELATIONSHIP_MONTHS)


def account_today(account: Account) -> date:
    """Today in the account's zone: the day a scrub's age and a download's date are read in."""
    return clock.today_in(account.timezone)


def area_code(phone: str) -> str:
    """The area code of a +1 number in E.164 (+12135550143: 213)."""
    return phone[2:5]


def on_registry(account_id: Any, phone: Any) -> ColumnElement[bool]:
    """`phone` is on the account's scrub of the registry."""
    listed = select(NationalDncNumber.id).where(
        NationalDncNumber.account_id == account_id, NationalDncNumber.phone == phone
    )
    return listed.exists()


def relationship_holds(contact: Any, since: date | Any) -> ColumnElement[bool]:
    """An established business relationship: a contract on record that has not ended, or
    ended on or after `since` (`relationship_since` of the call's day)."""
    return and_(
        contact.contract_kind.is_not(None),
        or_(contact.contract_ends_on.is_(None), contact.contract_ends_on >= since),
    )


def registry_rule(
    account_id: Any, phone: Any, contact: Any, since: date | Any, written_consent: Any
) -> tuple[ColumnElement[bool], str]:
    """(condition, reason) of the registry: the number is on the scrub, and neither the
    contact's `written_consent` (a condition) nor a relationship since `since` lets it be
    called. Never NULL: a deleted contact (all NULL) has neither."""
    exempt = or_(written_consent, relationship_holds(contact, since))
    return and_(on_registry(account_id, phone), not_(exempt)), NATIONAL_DNC


@dataclass(frozen=True)
class ScrubWarning:
    """An area code of a campaign's contacts whose scrub is missing or too old to call on."""

    area_code: str
    contacts: int
    downloaded_on: date | None  # None: no scrub on file for it

    def as_dict(self) -> dict[str, Any]:
        return {
            "area_code": self.area_code,
            "contacts": self.contacts,
            "downloaded_on": self.downloaded_on.isoformat() if self.downloaded_on else None,
            "code": "scrub_missing" if self.downloaded_on is None else "scrub_stale",
        }


def scrub_is_stale(downloaded_on: date, today: date) -> bool:
    return downloaded_on < today - timedelta(days=SCRUB_VALID_DAYS)


def scrub_warnings(account: Account, contacts: Any, today: date) -> list[ScrubWarning]:
    """For a US account, the area codes of `contacts` (a select of Contact ids) whose scrub
    is missing or older than 31 days on `today`, with how many of those contacts each has;
    none for another account."""
    if account.country != COUNTRY:
        return []
    code = func.substr(Contact.phone, 3, 3)
    rows = db.session.execute(
        select(code, func.count(), NationalDncScrub.downloaded_on)
        .outerjoin(
            NationalDncScrub,
            and_(
                NationalDncScrub.account_id == account.id,
                NationalDncScrub.area_code == code,
            ),
        )
        .where(Contact.id.in_(contacts), Contact.phone.like("+1%"))
        .group_by(code, NationalDncScrub.downloaded_on)
        .order_by(code)
    ).all()
    return [
        ScrubWarning(area, count, on)
        for area, count, on in rows
        if on is None or scrub_is_stale(on, today)
    ]
