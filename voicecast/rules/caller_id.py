"""Which number a campaign may present: French rules forbid a mobile number for canvassing."""

from __future__ import annotations

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


def number_problem(account: Account, number: str | None) -> str | None:
    """What is wrong with presenting `number` (E.164) under the account's rules."""
    preset = account_rules(account.calling_rules, account.calling_rules_changes)
    if preset is None or preset.mobile_caller_id or not number:
        return None
    if describe(number, account.country).line_type == "mobile":
        return (
            f"{number} is a mobile number: {preset.name} calling rules forbid presenting one "
            "for canvassing. Use a fixed-line number of the account."
        )
    return None
