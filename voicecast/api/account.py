"""The caller's account, and the calling rules its campaigns inherit."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from voicecast.api import bp
from voicecast.api.auth import current_principal
from voicecast.api.me import AccountOut
from voicecast.api.schemas import Input
from voicecast.api.spec import operation
from voicecast.errors import ApiError, invalid_field
from voicecast.extensions import db
from voicecast.models import Account, Role
from voicecast.rules.caller_id import caller_id_problem
from voicecast.rules.presets import preset_named

TAG = "Account"


class AccountUpdate(Input):
    calling_rules: Literal["FR", "US", "none"] = Field(
        description="FR or US: that country's calling rules for every campaign; none: only "
        "each campaign's own window (for a country without a preset, or test numbers)."
    )


def own_account() -> Account:
    return db.session.get(Account, current_principal().account_id)


@operation(bp, "/account", "GET", summary="Get the account", tag=TAG, response=AccountOut)
def get_account():
    """The account, its caller ID and its calling rules."""
    return AccountOut.model_validate(own_account())


@operation(bp, "/account", "PATCH", summary="Change the calling rules", tag=TAG,
           body=AccountUpdate, response=AccountOut, errors=(403, 422))  # fmt: skip
def update_account(body: AccountUpdate):
    """Admins only. Running campaigns follow the new rules from their next dial."""
    if current_principal().role != Role.ADMIN:
        raise ApiError(403, "This needs an admin's API key.")
    account = own_account()
    preset = preset_named(body.calling_rules)
    account.calling_rules = preset.name if preset else None
    problem = caller_id_problem(account)
    if problem:
        db.session.rollback()
        raise invalid_field("body.calling_rules", problem, "caller_id")
    db.session.commit()
    return AccountOut.model_validate(account)
