"""Which number a campaign may present: one of the account's own country (its numbering
plan's territories included), and under French rules no mobile number for canvassing."""

from __future__ import annotations

import phonenumbers
from sqlalchemy import select

from voicecast.extensions import db
from voicecast.models import Account, PhoneNumber
from voicecast.phones import describe
from voicecast.rules.presets import account_rules


def caller_id_problem(account: Account) -> str | None:
    """What is wrong with a number the account's campaigns would present (its own, or a
    seller's callback line) under its rules (None: nothing)."""
    lines = select(PhoneNumber.number).where(
        PhoneNumber.account_id == account.id, PhoneNumber.seller_id.is_not(None)
    )
    for number in [account.caller_id, *db.session.scalars(lines)]:
        problem = number_problem(account, number)
        if problem:
            return problem
    return None


# The regions whose numbers an account of a country presents: its own, and the territories
# that share its numbering plan and its rules (a Puerto Rico number for a US account, a
# Réunion one for a French account).
HOME_REGIONS = {
    "US": {"US", "PR", "VI", "GU", "AS", "MP"},
    "FR": {"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF"},
}


def foreign_problem(account: Account, number: str) -> str | None:
    """Why `number` (E.164) is not one the account's country presents (None: it is)."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        region = None
    country = account.country.upper()
    if region in HOME_REGIONS.get(country, {country}):
        return None
    return (
        f"{number} is not a {country} number ({region or 'no country'}): the account's "
        f"campaigns call {country} people, who see and call back the number presented, and "
        f"carriers block calls whose caller ID does not belong there. Use a {country} number "
        "of the account."
    )


def number_problem(account: Account, number: str | None) -> str | None:
    """What is wrong with presenting `number` (E.164) under the account's rules."""
    if not number:
        return None
    if problem := foreign_problem(account, number):
        return problem
    preset = account_rules(account.calling_rules, account.calling_rules_changes)
    if preset is None or preset.mobile_caller_id:
        return None
    if describe(number, account.country).line_type == "mobile":
        return (
            f"{number} is a mobile number: {preset.name} calling rules forbid presenting one "
            "for canvassing. Use a fixed-line number of the account."
        )
    return None
