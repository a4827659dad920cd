"""Who the API key belongs to."""

from __future__ import annotations

from pydantic import Field

from voicecast.api import bp
from voicecast.api.auth import current_principal
from voicecast.api.schemas import Output
from voicecast.api.spec import operation


class AccountOut(Output):
    id: int
    name: str
    country: str
    timezone: str
    caller_id: str | None
    calling_rules: str | None = Field(
        description="The preset its campaigns call under (FR, US); null: none, only each "
        "campaign's own window applies."
    )
    calling_rules_changes: dict | None = Field(
        description="How the account narrows its preset (days, hours, public_holidays, "
        "attempt_cap, attempt_cap_days, silence_after_refusal_days, legal_basis, "
        "mobile_caller_id); null: the preset as it is."
    )
    fallback_number: str | None = Field(
        description="Where callbacks ring when no seller is found for the caller."
    )
    attribution_days: int = Field(
        description="Callbacks go to the seller whose message the caller got within these days."
    )
    outcome_attribution_days: int = Field(
        description="An outcome counts for the last drop or callback within these days."
    )
    sms_sender: str | None = Field(
        description="Who sellers' text messages come from (alphanumeric sender ID, Messaging "
        "Service SID or number); null: the account's first SMS-capable number, if any."
    )


class MeOut(Output):
    user_id: int
    name: str
    email: str | None
    role: str
    account: AccountOut


@operation(bp, "/me", "GET", summary="The caller's user and account", tag="Account", response=MeOut)
def get_me():
    """The user that owns the API key, its role and its account."""
    user = current_principal().user
    return MeOut(
        user_id=user.id,
        name=user.name,
        email=user.email,
        role=user.role.value,
        account=AccountOut.model_validate(user.account),
    )
