"""Which number a campaign may present: French rules forbid a mobile number for canvassing."""

from __future__ import annotations

from voicecast.models import Account
from voicecast.phones import describe
from voicecast.rules.presets import preset_named


def caller_id_problem(account: Account) -> str | None:
    """What is wrong with the number the account's campaigns would present, under its rules
    (None: nothing)."""
    preset = preset_named(account.calling_rules)
    if preset is None or preset.mobile_caller_id or not account.caller_id:
        return None
    number = describe(account.caller_id, account.country)
    if number.line_type == "mobile":
        return (
            f"{account.caller_id} is a mobile number: {preset.name} calling rules forbid "
            "presenting one for canvassing. Use a fixed-line number of the account "
            "(voicecast account set-caller-id)."
        )
    return None
