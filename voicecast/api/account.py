"""The caller's account, and the calling rules its campaigns inherit."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import Field, StringConstraints

from voicecast.api import bp
from voicecast.api.auth import current_principal
from voicecast.api.me import AccountOut
from voicecast.api.schemas import Input, PhoneInput
from voicecast.api.spec import operation
from voicecast.api.validation import reject_nulls
from voicecast.callbacks import senders
from voicecast.errors import ApiError, invalid_field
from voicecast.extensions import db
from voicecast.models import Account, Role
from voicecast.people import phone_for_account
from voicecast.rules.caller_id import caller_id_problem
from voicecast.rules.presets import WiderThanPreset, narrow, preset_named

TAG = "Account"


HourMinute = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
# An alphanumeric sender ID, a Messaging Service SID or a number: `senders.sender_problem`
# checks the rest (length, the country, the account's numbers).
SenderInput = Annotated[str, StringConstraints(pattern=senders.PATTERN, max_length=34)]


class RuleChanges(Input):
    """How the account narrows its preset; a field left out (or null) stays as the preset
    has it. Each change may only narrow: a wider one is refused with the preset's limit."""

    days: list[Annotated[int, Field(ge=0, le=6)]] | None = Field(
        default=None, min_length=1, description="Weekdays to call on (Monday = 0)."
    )
    hours: list[Annotated[list[HourMinute], Field(min_length=2, max_length=2)]] | None = Field(
        default=None,
        min_length=1,
        description='Calling hours, local to each contact, e.g. [["10:00", "12:30"]].',
    )
    public_holidays: bool | None = Field(
        default=None, description="true: no calls on public holidays."
    )
    attempt_cap: int | None = Field(
        default=None, ge=1, le=100, description="Attempts per number per attempt_cap_days."
    )
    attempt_cap_days: int | None = Field(default=None, ge=1, le=365)
    silence_after_refusal_days: int | None = Field(default=None, ge=1, le=3650)
    legal_basis: Literal["consent_or_contract", "written_consent"] | None = None
    mobile_caller_id: bool | None = Field(
        default=None, description="false: never present a mobile number."
    )


class AccountUpdate(Input):
    calling_rules: Literal["FR", "US", "none"] = Field(
        default="none",
        description="FR or US: that country's calling rules for every campaign; none: only "
        "each campaign's own window (for a country without a preset, or test numbers).",
    )
    calling_rules_changes: RuleChanges | None = Field(
        default=None,
        description="How the account narrows its preset (replaces the previous changes; "
        "null: the preset as it is). Changing calling_rules without this clears them.",
    )
    fallback_number: PhoneInput | None = Field(
        default=None,
        description="Where a callback rings when no seller is found for the caller (e.g. the "
        "showroom's desk); null: such callers leave a voicemail.",
    )
    timezone: str = Field(
        default="Europe/Paris",
        max_length=64,
        description="The account's own time zone (an IANA name, e.g. America/Chicago): the times "
        "its pages and texts show, and the calling zone of contacts whose own is unknown (from "
        "the next planning).",
    )
    attribution_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="A callback goes to the seller whose message the caller got within this "
        "many days.",
    )
    outcome_attribution_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="An outcome posted by the dealer's system counts for the last drop or "
        "callback the contact had within this many days before it (from the next outcome).",
    )
    sms_sender: SenderInput | None = Field(
        default=None,
        description="Who sellers' text messages come from: an alphanumeric sender ID (up to 11 "
        "letters, digits, spaces; not in the US), a Messaging Service SID (MG...) or one of the "
        "account's numbers that Twilio says can send SMS (never a French number); null: the "
        "account's first SMS-capable number, else no text is sent and the callback says why.",
    )


def known_zone(name: str) -> str:
    """`name` when it is a time zone of the tz database; a 422 saying what to give otherwise."""
    if name not in available_timezones():
        message = f"{name!r} is no time zone: give an IANA name such as America/Chicago."
        raise invalid_field("body.timezone", message, "timezone")
    return name


def checked_sender(account: Account, value: str | None) -> str | None:
    """`value` when the account's texts can come from it (or None: the default); 422 saying
    why not and what to give otherwise."""
    problem = senders.sender_problem(account, value) if value is not None else None
    if problem:
        raise invalid_field("body.sms_sender", problem, "sms_sender")
    return value


def own_account() -> Account:
    return db.session.get(Account, current_principal().account_id)


def checked_changes(account: Account, changes: RuleChanges | None) -> dict | None:
    """The changes to keep, once checked to narrow the account's preset; 422 otherwise."""
    given = changes.model_dump(exclude_none=True) if changes else {}
    if not given:
        return None
    preset = preset_named(account.calling_rules)
    if preset is None:
        message = "The account has no calling-rule preset to narrow: choose FR or US first."
        raise invalid_field("body.calling_rules_changes", message, "no_preset")
    try:
        narrow(preset, given)
    except WiderThanPreset as wider:
        raise invalid_field(
            f"body.calling_rules_changes.{wider.field}", str(wider), "wider_than_preset"
        ) from None
    return given


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
    reject_nulls(
        fields, ("calling_rules", "attribution_days", "outcome_attribution_days", "timezone")
    )
    if "timezone" in fields:
        account.timezone = known_zone(body.timezone)
    if "calling_rules" in fields:
        preset = preset_named(body.calling_rules)
        account.calling_rules = preset.name if preset else None
        account.calling_rules_changes = None  # they narrowed the preset before
    if "calling_rules_changes" in fields:
        account.calling_rules_changes = checked_changes(account, body.calling_rules_changes)
    if "fallback_number" in fields:
        fallback = fields["fallback_number"]
        account.fallback_number = phone_for_account(fallback, account, "body.fallback_number")
    if "attribution_days" in fields:
        account.attribution_days = body.attribution_days
    if "outcome_attribution_days" in fields:
        account.outcome_attribution_days = body.outcome_attribution_days
    if "sms_sender" in fields:
        account.sms_sender = checked_sender(account, fields["sms_sender"])
    problem = caller_id_problem(account)
    if problem:
        db.session.rollback()
        raise invalid_field("body.calling_rules", problem, "caller_id")
    db.session.commit()
    return AccountOut.model_validate(account)
