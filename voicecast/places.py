"""Where a contact lives, as far as calling hours go: the time zone of a postal code."""

from __future__ import annotations

import re

# French overseas postal codes start with three digits naming the territory.
FRENCH_OVERSEAS = {
    "971": "America/Guadeloupe", "972": "America/Martinique", "973": "America/Cayenne",
    "974": "Indian/Reunion", "975": "America/Miquelon", "976": "Indian/Mayotte",
    "977": "America/St_Barthelemy", "978": "America/Marigot", "986": "Pacific/Wallis",
    "987": "Pacific/Tahiti", "988": "Pacific/Noumea",
}  # fmt: skip
FRENCH_POSTAL_CODE = re.compile(r"\d{5}")


def contact_zone(postal_code: str | None, country: str, number_zone: str | None) -> str | None:
    """A contact's time zone: its postal code's when that tells, else its number's."""
    return zone_of_postal_code(postal_code, country) or number_zone


def zone_of_postal_code(code: str | None, country: str) -> str | None:
    """The time zone of a postal code of `country`, when the code alone tells (France and its
    overseas territories); None otherwise."""
    if not code or country.upper() != "FR":
        return None
    code = code.replace(" ", "")
    if not FRENCH_POSTAL_CODE.fullmatch(code):
        return None
    return FRENCH_OVERSEAS.get(code[:3], "Europe/Paris")
