"""Where a contact lives, as far as calling hours go: the time zone of a postal code (France
and its overseas territories from the code's first digits, US ZIP codes from the `zipcodes`
package's data), and the zones a contact's window is read in."""

from __future__ import annotations

import re
from functools import lru_cache

import zipcodes

# French overseas postal codes start with three digits naming the territory.
FRENCH_OVERSEAS = {
    "971": "America/Guadeloupe", "972": "America/Martinique", "973": "America/Cayenne",
    "974": "Indian/Reunion", "975": "America/Miquelon", "976": "Indian/Mayotte",
    "977": "America/St_Barthelemy", "978": "America/Marigot", "986": "Pacific/Wallis",
    "987": "Pacific/Tahiti", "988": "Pacific/Noumea",
}  # fmt: skip
FRENCH_POSTAL_CODE = re.compile(r"\d{5}")
# A ZIP or ZIP+4; 3 or 4 digits are one whose leading zeros a spreadsheet dropped (07030 as
# 7030, Puerto Rico's 00901 as 901).
US_ZIP = re.compile(r"(\d{3,5})(?:-\d{4})?")


def contact_zone(postal_code: str | None, country: str, number_zone: str | None) -> str | None:
    """A contact's time zone: its postal code's when that tells, else its number's."""
    return zone_of_postal_code(postal_code, country) or number_zone


def contact_zones(
    postal_code: str | None, country: str, number_zone: str | None
) -> tuple[str | None, str | None]:
    """A contact's time zone (`contact_zone`) and, when its postal code and its number name
    different zones, the number's as a second zone: calls wait until both are open."""
    place = zone_of_postal_code(postal_code, country)
    if place and number_zone and place != number_zone:
        return place, number_zone
    return place or number_zone, None


def zone_of_postal_code(code: str | None, country: str) -> str | None:
    """The time zone of a postal code of `country`, when the code alone tells (France and its
    overseas territories, US ZIP codes); None otherwise."""
    if not code:
        return None
    code = code.replace(" ", "")
    country = country.upper()
    if country == "US":
        return zone_of_zip(code)
    if country != "FR" or not FRENCH_POSTAL_CODE.fullmatch(code):
        return None
    return FRENCH_OVERSEAS.get(code[:3], "Europe/Paris")


@lru_cache(maxsize=65536)
def zone_of_zip(code: str) -> str | None:
    """The time zone of a US ZIP code (Puerto Rico's and the other territories' included), as
    the `zipcodes` package records it; None for a code it does not know."""
    if not (match := US_ZIP.fullmatch(code)):
        return None
    found = zipcodes.matching(match.group(1).zfill(5))
    return (found[0]["timezone"] or None) if found else None
