"""Public holidays of the place a contact is in, as far as its time zone tells.

French overseas territories have their own holidays and their own zones, so the zone tells the
calendar. Within metropolitan France, Alsace and Moselle have two more (Good Friday, 26
December) that a zone cannot tell apart: Europe/Paris keeps them all, so no call is placed on a
day that is a holiday anywhere in the zone (two days a year of caution for everyone else)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays

FRENCH_SUBDIVISIONS_BY_ZONE = {
    "Europe/Paris": (None, "57", "6AE"),
    "America/Guadeloupe": ("971",), "America/Martinique": ("972",),
    "America/Cayenne": ("973",), "Indian/Reunion": ("974",), "Indian/Mayotte": ("976",),
    "America/St_Barthelemy": ("BL",), "America/Marigot": ("MF",),
    "America/Miquelon": ("PM",), "Pacific/Noumea": ("NC",), "Pacific/Wallis": ("WF",),
    "Pacific/Tahiti": ("PF",), "Pacific/Marquesas": ("PF",), "Pacific/Gambier": ("PF",),
}  # fmt: skip


def subdivisions(country: str, zone: str) -> tuple[str | None, ...]:
    if country == "FR":
        return FRENCH_SUBDIVISIONS_BY_ZONE.get(zone, (None,))
    return (None,)


@lru_cache(maxsize=512)
def holidays_of_year(country: str, zone: str, year: int) -> dict[date, str]:
    """Every public holiday of `year` in `zone` (the union over the regions it covers)."""
    found: dict[date, str] = {}
    for subdivision in subdivisions(country, zone):
        calendar = holidays.country_holidays(country, subdiv=subdivision, years=year)
        for day, name in calendar.items():
            found.setdefault(day, name)
    return found


def holiday_name(country: str, zone: str, day: date) -> str | None:
    """The name of the public holiday on `day` in `zone`, or None."""
    return holidays_of_year(country, zone, day.year).get(day)
