"""Phone numbers as the carrier wants them: E.164, parsed with the account's country as default."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import phonenumbers
from phonenumbers.timezone import UNKNOWN_TIMEZONE as UNKNOWN_ZONE
from phonenumbers.timezone import time_zones_for_number


class InvalidPhone(ValueError):
    """The text is not a dialable phone number; the message says why."""


def to_e164(raw: str, default_region: str) -> str:
    try:
        number = phonenumbers.parse(raw, default_region.upper())
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(f"{raw!r} is not a phone number ({error._msg}).") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(
            f"{raw!r} is not a valid number for {default_region.upper()}; "
            "write it in E.164 form, e.g. +33612345678."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


LINE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_or_mobile",
    phonenumbers.PhoneNumberType.VOIP: "voip",
    phonenumbers.PhoneNumberType.TOLL_FREE: "toll_free",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "premium_rate",
    phonenumbers.PhoneNumberType.SHARED_COST: "shared_cost",
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: "personal",
    phonenumbers.PhoneNumberType.PAGER: "pager",
    phonenumbers.PhoneNumberType.UAN: "uan",
    phonenumbers.PhoneNumberType.VOICEMAIL: "voicemail",
}


@dataclass(frozen=True)
class PhoneInfo:
    """A valid number in E.164, with what its numbering plan says about it."""

    e164: str
    line_type: str  # "mobile", "fixed", "voip", ... (LINE_TYPES)
    region: str  # ISO country of the number, e.g. "FR", "RE"
    timezone: str | None  # the plan's zone when it names exactly one, else None


def describe(raw: str, default_region: str) -> PhoneInfo:
    """`raw` parsed with `default_region` for national numbers; raises InvalidPhone."""
    try:
        number = phonenumbers.parse(raw, default_region.upper())
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(f"{raw!r} is not a phone number ({error._msg}).") from None
    kind = phonenumbers.number_type(number)  # UNKNOWN exactly when the number is not valid
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        raise InvalidPhone(f"{raw!r} is not a valid number for {default_region.upper()}.")
    region = phonenumbers.region_code_for_number(number) or default_region.upper()
    return PhoneInfo(
        e164=f"+{number.country_code}{phonenumbers.national_significant_number(number)}",
        line_type=LINE_TYPES.get(kind, "other"),
        region=region,
        timezone=zone_of_number(number, region),
    )


def zone_of_number(number: phonenumbers.PhoneNumber, region: str) -> str | None:
    """The number's time zone when its plan names one, or its region has only one (a Réunion
    mobile is listed under Mayotte's zone too); None when it stays ambiguous (a US mobile)."""
    zones = [zone for zone in time_zones_for_number(number) if zone != UNKNOWN_ZONE]
    if len(zones) == 1:
        return zones[0]
    in_region = zones_of_region(region)
    if len(in_region) == 1:
        return in_region[0]
    both = [zone for zone in zones if zone in in_region]
    return both[0] if len(both) == 1 else None


@cache
def zones_of_region(region: str) -> tuple[str, ...]:
    """The zones of an ISO country, from the tz database's zone.tab."""
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    return tuple(
        fields[2]
        for fields in (line.split("\t") for line in table.splitlines())
        if len(fields) >= 3 and fields[0] == region
    )
