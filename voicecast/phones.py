"""Phone numbers as the carrier wants them: E.164, parsed with the account's country as default."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib import resources
from typing import NamedTuple

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, is_number_type_geographical
from phonenumbers.phonemetadata import PhoneMetadata
from phonenumbers.timezone import UNKNOWN_TIMEZONE as UNKNOWN_ZONE
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX


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


def for_people(number: str | None, country: str | None = None) -> str:
    """A stored number (E.164) as people of `country` write it: national form for the
    country's own numbers ("06 12 34 56 71"), international form for others ("+32 470 12 34
    56"), national form when `country` is None; text that is no number comes back as it is."""
    if not number:
        return number or ""
    try:
        parsed = phonenumbers.parse(number, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        return number
    own = country is None or phonenumbers.region_code_for_number(parsed) == country.upper()
    forms = phonenumbers.PhoneNumberFormat
    form = forms.NATIONAL if own else forms.INTERNATIONAL
    return phonenumbers.format_number(parsed, form)


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


class PhoneInfo(NamedTuple):
    """A valid number in E.164, with what its numbering plan says about it (a tuple: an
    import makes one per row, and a frozen dataclass takes three times as long to build)."""

    e164: str
    line_type: str  # "mobile", "fixed", "voip", ... (LINE_TYPES)
    region: str  # ISO country of the number, e.g. "FR", "RE"
    timezone: str | None  # the plan's zone when it names exactly one, else None


def describe(raw: str, default_region: str) -> PhoneInfo:
    """`raw` parsed with `default_region` for national numbers; raises InvalidPhone."""
    region = default_region.upper()
    quick = quick_parse(raw, region)
    if quick is None:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException as error:
            raise InvalidPhone(f"{raw!r} is not a phone number ({error._msg}).") from None
        code = number.country_code
        number_region = phonenumbers.region_code_for_number(number)
        national = phonenumbers.national_significant_number(number)
    else:
        code, national = quick
        number_region = region_of(code, national)
    # UNKNOWN exactly when the number is not valid
    kind = type_of(code, number_region, national)
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        where = "" if raw.lstrip().startswith("+") else f" for {region}"
        raise InvalidPhone(f"{raw!r} is not a valid number{where}.")
    number_region = number_region or region
    digits = f"{code}{national}"
    return PhoneInfo(
        e164=f"+{digits}",
        line_type=LINE_TYPES.get(kind, "other"),
        region=number_region,
        timezone=zone_of_number(digits, code, kind, number_region),
    )


def region_of(code: int, national: str) -> str | None:
    """phonenumbers.region_code_for_number for a quickly read number (no leading zero), without
    building its PhoneNumber when the country code has a single region (most do)."""
    regions = COUNTRY_CODE_TO_REGION_CODE.get(code)
    if regions is None:
        return None
    if len(regions) == 1:
        return regions[0]
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    return phonenumbers.region_code_for_number(number)


SEPARATORS = (" ", ".", "-", "/", "\u00a0")
DIGITS = re.compile(r"\+?[1-9][0-9]{5,16}|0[0-9]{5,16}")


def quick_parse(raw: str, region: str) -> tuple[int, str] | None:
    """The country code and national significant number of a plainly written `raw` (digits
    and separators, +CC or the region's plain national prefix), read as phonenumbers.parse
    would read them, in a fraction of its time (an import reads hundreds of thousands); None
    for anything else, left to the full parser. Validity is checked afterwards either way."""
    compact = without_separators(raw)
    if not DIGITS.fullmatch(compact):
        return None
    if compact[0] == "+":
        for length in (1, 2, 3):
            code = int(compact[1 : 1 + length])
            if code in COUNTRY_CODE_TO_REGION_CODE:
                return plain_number(code, compact[1 + length :])
        return None
    prefix = plain_national_prefix(region)
    if prefix is None or not compact.startswith(prefix):
        return None
    return plain_number(country_code_of(region), compact[len(prefix) :])


def without_separators(raw: str) -> str:
    """`raw` without the SEPARATORS people write between digits (str.replace, five times as
    fast as str.translate with a table: it runs once per row of an import)."""
    for separator in SEPARATORS:
        raw = raw.replace(separator, "")
    return raw


@cache
def country_code_of(region: str) -> int:
    return phonenumbers.country_code_for_region(region)


def plain_number(code: int, national: str) -> tuple[int, str] | None:
    """`national` under country `code`, unless the country's plan has parsing rules of its own
    (a prefix to strip or a transform, a leading zero): the full parser knows those. With no
    leading zero, the digits are the national significant number as phonenumbers writes it."""
    main_region = COUNTRY_CODE_TO_REGION_CODE[code][0]
    if not plainly_numbered(main_region) or not national or national[0] == "0":
        return None
    prefix = plain_national_prefix(main_region)
    if prefix and national.startswith(prefix):
        return None
    return code, national


@cache
def plainly_numbered(region: str) -> bool:
    """Parsing strips at most a plain national prefix in `region` (no pattern, no transform)."""
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(0, region)
    if metadata is None or metadata.national_prefix_transform_rule:
        return False
    prefix = metadata.national_prefix_for_parsing
    return prefix is None or (prefix.isdigit() and prefix == metadata.national_prefix)


@cache
def plain_national_prefix(region: str) -> str | None:
    """The region's national prefix when parsing only strips it as it is (FR: "0")."""
    if not plainly_numbered(region):
        return None
    return PhoneMetadata.metadata_for_region_or_calling_code(0, region).national_prefix_for_parsing


def zone_of_number(digits: str, country_code: int, kind: int, region: str) -> str | None:
    """The time zone of the number `digits` (E.164 without the +) when its plan names one,
    or its region has only one (a Réunion mobile is listed under Mayotte's zone too); None
    when it stays ambiguous (a US mobile). `kind` is its number type, known valid."""
    if is_number_type_geographical(kind, country_code):
        return zone_of_prefix(digits[:TIMEZONE_LONGEST_PREFIX], region)
    return zone_of_prefix(str(country_code), region)


@lru_cache(maxsize=65_536)
def zone_of_prefix(digits: str, region: str) -> str | None:
    """What time_zones_for_number says of the numbers starting with `digits` (its longest
    prefix match), narrowed by `region`."""
    zones = [zone for zone in zones_by_prefix(digits) if zone != UNKNOWN_ZONE]
    if len(zones) == 1:
        return zones[0]
    in_region = zones_of_region(region)
    if len(in_region) == 1:
        return in_region[0]
    both = [zone for zone in zones if zone in in_region]
    return both[0] if len(both) == 1 else None


def zones_by_prefix(digits: str) -> tuple[str, ...]:
    for length in range(min(len(digits), TIMEZONE_LONGEST_PREFIX), 0, -1):
        if digits[:length] in TIMEZONE_DATA:
            return TIMEZONE_DATA[digits[:length]]
    return ()


@cache
def zones_of_region(region: str) -> tuple[str, ...]:
    """The zones of an ISO country, from the tz database's zone.tab."""
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    return tuple(
        fields[2]
        for fields in (line.split("\t") for line in table.splitlines())
        if len(fields) >= 3 and fields[0] == region
    )


PhonePattern = tuple[frozenset[int] | None, re.Pattern[str]] | None


def number_type(number: phonenumbers.PhoneNumber) -> int:
    """phonenumbers.number_type, with each region's patterns compiled once: its own version
    looks every pattern up again in its regex cache, which made it most of an import's time
    (tests/test_phones.py checks the two agree)."""
    region = phonenumbers.region_code_for_number(number)
    national = phonenumbers.national_significant_number(number)
    return type_of(number.country_code, region, national)


def type_of(country_code: int, region: str | None, national: str) -> int:
    """The type of the national significant number `national` of `region`: one regular
    expression per plan and length does what phonenumbers does with up to ten in turn."""
    plan = types_by_length(country_code, region, len(national))
    if plan is None:
        return phonenumbers.PhoneNumberType.UNKNOWN
    combined, kinds, mobile = plan
    found = combined.fullmatch(national)
    if found is None:
        return phonenumbers.PhoneNumberType.UNKNOWN
    kind = kinds[found.lastgroup]
    fixed = kind == phonenumbers.PhoneNumberType.FIXED_LINE
    if fixed and mobile is not None and mobile.fullmatch(national):
        return phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
    return kind


@cache
def types_by_length(country_code: int, region: str | None, length: int):
    """For numbers of `length` digits in a plan: one pattern whose first matching branch, in
    phonenumbers' order (special types, fixed line, mobile), names the type, all under the
    plan's general pattern; the type of each branch; and the mobile pattern to tell a fixed
    line that may be a mobile too (None when the plan does not need it). None when no number
    of that length is valid."""
    plan = type_patterns(country_code, region)
    if plan is None:
        return None
    general, special, fixed, mobile, same = plan
    if not fits(general, length):
        return None
    branches = [(kind, pattern) for kind, pattern in special if fits(pattern, length)]
    if fits(fixed, length):
        fixed_kind = FIXED_OR_MOBILE if same else phonenumbers.PhoneNumberType.FIXED_LINE
        branches.append((fixed_kind, fixed))
    if not same and fits(mobile, length):
        branches.append((phonenumbers.PhoneNumberType.MOBILE, mobile))
    if not branches:
        return None
    kinds = {f"t{n}": kind for n, (kind, _) in enumerate(branches)}
    alternatives = "|".join(
        f"(?P<t{n}>{pattern[1].pattern})" for n, (_, pattern) in enumerate(branches)
    )
    combined = re.compile(f"(?=(?:{general[1].pattern})\\Z)(?:{alternatives})")
    needs_mobile = not same and fits(mobile, length)
    return combined, kinds, mobile[1] if needs_mobile else None


FIXED_OR_MOBILE = phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE


def fits(pattern: PhonePattern, length: int) -> bool:
    """Whether numbers of `length` digits may match `pattern` at all."""
    return pattern is not None and (pattern[0] is None or length in pattern[0])


@cache
def type_patterns(country_code: int, region: str | None):
    """A region's number descriptions, in the order phonenumbers tries them, compiled."""
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is None:
        return None
    special = tuple((kind, compiled(getattr(metadata, name))) for kind, name in SPECIAL.items())
    return (
        compiled(metadata.general_desc),
        tuple((kind, pattern) for kind, pattern in special if pattern is not None),
        compiled(metadata.fixed_line),
        compiled(metadata.mobile),
        metadata.same_mobile_and_fixed_line_pattern,
    )


# The types phonenumbers checks before fixed line and mobile, in its order.
SPECIAL = {
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "premium_rate",
    phonenumbers.PhoneNumberType.TOLL_FREE: "toll_free",
    phonenumbers.PhoneNumberType.SHARED_COST: "shared_cost",
    phonenumbers.PhoneNumberType.VOIP: "voip",
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    phonenumbers.PhoneNumberType.PAGER: "pager",
    phonenumbers.PhoneNumberType.UAN: "uan",
    phonenumbers.PhoneNumberType.VOICEMAIL: "voicemail",
}


def compiled(description) -> PhonePattern:
    """A description's possible lengths (None: any) and pattern; None when it has none."""
    if description is None or not description.national_number_pattern:
        return None
    lengths = frozenset(description.possible_length or ()) or None
    return lengths, re.compile(description.national_number_pattern)
