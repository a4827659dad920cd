"""The caller's account, and the calling rules its campaigns inherit."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from voicecast.api import bp
from voicecast.api.auth import current_principal
from voicecast.api.me import AccountOut
from voicecast.api.schemas import Input, PhoneInput
from voicecast.api.spec import operation
from voicecast.api.validation import reject_nulls
from voicecast.errors import ApiError, invalid_field
from voicecast.extensions import db
from voicecast.models import Account, Role
from voicecast.people import phone_for_account
from voicecast.rules.caller_id import caller_id_problem
from voicecast.rules.presets import preset_named

TAG = "Account"


class AccountUpdate(Input):
    calling_rules: Literal["FR", "US", "none"] = Field(
        default="none",
        description="FR or US: that country's calling rules for every campaign; none: only "
        "each campaign's own window (for a country without a preset, or test numbers).",
    )
    fallback_number: PhoneInput | None = Field(
        default=None,
        description="Where a callback rings when no seller is found for the caller (e.g. the "
        "showroom's desk); null: such callers leave a voicemail.",
    )
    attribution_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="A callback goes to the seller whose message the caller got within this "
        "many days.",
    )


def own_account() -> Account:
    return db.session.get(Account, current_principal().account_id)


@operation(bp, "/account", "GET", summary="Get the account", tag=TAG, response=AccountOut)
def get_account():
    """The account, its caller ID and its calling rules."""
    return AccountOut.model_validate(own_account())


@operation(bp, "/account", "PATCH", summary="Change the account's settings", tag=TAG,
           body=AccountUpdate, response=AccountOut, errors=(403, 422))  # fmt: skip
def update_account(body: AccountUpdate):
    """Admins only; the fields sent change, the others stay. Running campaigns follow new
    calling rules from their next dial."""
    if current_principal().role != Role.ADMIN:
        raise ApiError(403, "This needs an admin's API key.")
    account = own_account()
    fields = body.model_dump(include=body.model_fields_set)
    reject_nulls(fields, ("calling_rules", "attribution_days"))
    if "calling_rules" in fields:
        preset = preset_named(body.calling_rules)
        account.calling_rules = preset.name if preset else None
    if "fallback_number" in fields:
        fallback = fields["fallback_number"]
        account.fallback_number = phone_for_account(fallback, account, "body.fallback_number")
    if "attribution_days" in fields:
        account.attribution_days = body.attribution_days
    problem = caller_id_problem(account)
    if problem:
        db.session.rollback()
        raise invalid_field("body.calling_rules", problem, "caller_id")
    db.session.commit()
    return AccountOut.model_validate(account)
