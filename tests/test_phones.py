"""Phone numbers: our quick reading of plainly written numbers must agree with phonenumbers'
full parser on every input, valid or not."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers.timezone import time_zones_for_number

from voicecast.phones import LINE_TYPES, InvalidPhone, describe, number_type

REGIONS = ["FR", "RE", "US", "GB", "DE", "IT", "BE", "ES", "CH", "AU", "SM", "BR", "AR", "JP"]
CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def reference(raw: str, region: str) -> str | None:
    """What phonenumbers itself makes of `raw`: its E.164 form if valid, else None."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def ours(raw: str, region: str) -> str | None:
    try:
        return describe(raw, region).e164
    except InvalidPhone:
        return None


@st.composite
def written_numbers(draw) -> str:
    digits = draw(st.text(alphabet="0123456789", min_size=4, max_size=14))
    start = draw(st.sampled_from(["", "0", "00", "+", "1", "+33 ", "(0)"]))
    if draw(st.booleans()):
        start = f"+{draw(st.sampled_from(CODES))}"
    text = start + digits
    if draw(st.booleans()):
        separator = draw(st.sampled_from([" ", ".", "-", "\u00a0"]))
        text = separator.join(text[i : i + 2] for i in range(0, len(text), 2))
    return text


@settings(max_examples=3000, deadline=None)
@given(raw=written_numbers(), region=st.sampled_from(REGIONS))
def test_describe_reads_every_number_as_phonenumbers_does(raw, region):
    assert ours(raw, region) == reference(raw, region)


@settings(max_examples=3000, deadline=None)
@given(raw=written_numbers(), region=st.sampled_from(REGIONS))
def test_the_line_type_is_phonenumbers_own(raw, region):
    try:
        found = describe(raw, region)
    except InvalidPhone:
        return  # what is valid is the test above's
    parsed = phonenumbers.parse(found.e164)
    assert found.line_type == LINE_TYPES[phonenumbers.number_type(parsed)]
    # The zone, where phonenumbers names exactly one (ours is looked up once per prefix).
    zones = [zone for zone in time_zones_for_number(parsed) if zone != "Etc/Unknown"]
    if len(zones) == 1:
        assert found.timezone == zones[0]


def test_the_line_type_agrees_on_every_region_example_number():
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in LINE_TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            assert number_type(example) == phonenumbers.number_type(example), (region, kind)


@pytest.mark.parametrize(
    ("raw", "region", "e164", "line_type", "zone"),
    [
        ("06 12 34 56 78", "FR", "+33612345678", "mobile", "Europe/Paris"),
        ("01.45.67.89.01", "FR", "+33145678901", "fixed", "Europe/Paris"),
        ("+262 692 12 34 56", "FR", "+262692123456", "mobile", "Indian/Reunion"),
        ("+1 212 555 0100", "FR", "+12125550100", "fixed_or_mobile", "America/New_York"),
        ("+39 06 1234 5678", "FR", "+390612345678", "fixed", "Europe/Rome"),
    ],
)
def test_a_number_comes_with_its_line_type_and_zone(raw, region, e164, line_type, zone):
    phone = describe(raw, region)
    assert (phone.e164, phone.line_type, phone.timezone) == (e164, line_type, zone)


def test_an_invalid_number_says_so_and_for_which_country():
    with pytest.raises(InvalidPhone, match="not a valid number for FR"):
        describe("06 12", "FR")
    with pytest.raises(InvalidPhone, match=r"not a valid number\.$"):
        describe("+33 6 12", "FR")
