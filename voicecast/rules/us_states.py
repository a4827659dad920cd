"""US state calling rules, each declared once as data with its legal source: the hours and
days of the states that set stricter ones than the federal 8 am-9 pm (47 CFR 64.1200(c)(1)),
the state legal holidays some close, and the attempt caps some set per rolling 24 hours.

The US preset carries these rules (`presets.US.state_rules`); a contact's states come from
its ZIP code (or the file's state column) and its number's area code (`contact_regions`), and
when they differ both states' rules apply, each read in each of the contact's zones. The
schedule (`schedule.Schedule.for_regions`), the dispatcher's round and the dial job read the
hours from here; the attempt caps are `eligibility.held_back`'s, so planning, the round and
the dial claim read them too. This is not legal advice: `uncertain` says where a figure or a
citation could not be confirmed."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache

import holidays
import zipcodes

Hours = tuple[tuple[time, time], ...]
EVERY_DAY = tuple(range(7))
# The prefix of a delivery's reason when a state rule holds it: "state_hours:FL" (outside the
# state's hours or days, or on its holiday), "state_cap:FL" (its attempt cap reached).
HOURS_REASON = "state_hours"
CAP_REASON = "state_cap"
CAP_HOURS = 24  # every state cap known counts over a rolling 24 hours


@dataclass(frozen=True)
class StateRule:
    """One state's calling rule. `days` maps a weekday (Monday = 0) to its open hours [start,
    end) in the contact's local time (a day absent: no calls); `holidays` closes the state's
    legal holidays (the `holidays` package's calendar of the state); `cap` calls at most per
    rolling CAP_HOURS, all campaigns together."""

    code: str  # the postal abbreviation: "FL"
    name: str
    name_fr: str
    source: str  # the statute (or rule) that sets it
    days: tuple[tuple[int, Hours], ...]
    holidays: bool = False
    cap: int | None = None
    uncertain: str | None = None  # what could not be confirmed

    def hours_on(self, weekday: int) -> Hours:
        return dict(self.days).get(weekday, ())

    def closed_on(self, day: date) -> bool:
        """The state closes `day` (a day without hours, or its legal holiday)."""
        if not self.hours_on(day.weekday()):
            return True
        return self.holidays and day in state_holidays(self.code, day.year)

    def allows(self, local: datetime) -> bool:
        """A call may be placed at `local` (the contact's local time) under this rule."""
        now = local.time()
        if self.closed_on(local.date()):
            return False
        return any(start <= now < end for start, end in self.hours_on(local.weekday()))

    @property
    def hours_reason(self) -> str:
        return f"{HOURS_REASON}:{self.code}"

    @property
    def cap_reason(self) -> str:
        return f"{CAP_REASON}:{self.code}"

    def describe(self) -> dict:
        return {
            "state": self.code,
            "name": self.name,
            "source": self.source,
            "hours": {
                str(day): [[f"{s:%H:%M}", f"{e:%H:%M}"] for s, e in hours]
                for day, hours in self.days
            },
            "closed_on_state_holidays": self.holidays,
            "attempt_cap": self.cap,
            "attempt_cap_hours": CAP_HOURS if self.cap else None,
            "uncertain": self.uncertain,
        }


def every(days: tuple[int, ...], start: int, end: int) -> tuple[tuple[int, Hours], ...]:
    return tuple((day, ((time(start), time(end)),)) for day in days)


MON_SAT = (0, 1, 2, 3, 4, 5)
# What the caps count, where the statute counts calls on one subject only.
CAP_ON_ANY_SUBJECT = (
    "the cap counts calls on the same subject; all of an account's calls are counted, "
    "which is stricter"
)
STATE_RULES: tuple[StateRule, ...] = (
    StateRule(
        "AL", "Alabama", "Alabama",
        "Alabama Public Service Commission telephone solicitation rules (Ala. Admin. Code "
        "r. 770-X-9); Ala. Code § 8-19A-4 not confirmed",
        every(MON_SAT, 8, 20), holidays=True,
        uncertain="citation: the hours, no Sundays and no state holidays are the PSC's rule as "
        "secondary sources report it; the section number could not be checked",
    ),
    StateRule(
        "CT", "Connecticut", "Connecticut",
        "Conn. Gen. Stat. § 42-288a, as amended by Public Act 23-98",
        every(EVERY_DAY, 9, 20),
        uncertain="sources disagree on the end (8 pm after Public Act 23-98, 9 pm before): "
        "the stricter 8 pm is kept",
    ),
    StateRule(
        "FL", "Florida", "Floride",
        "Fla. Stat. § 501.616(6)(a)-(b) (ch. 2021-94, SB 1120; consent in § 501.059)",
        every(EVERY_DAY, 8, 20), cap=3,
        uncertain=CAP_ON_ANY_SUBJECT,
    ),
    StateRule(
        "LA", "Louisiana", "Louisiane",
        "La. R.S. 45:844.12",
        every(MON_SAT, 8, 20), holidays=True,
        uncertain="legal holidays: the state's calendar (La. R.S. 1:55) as the holidays "
        "package has it; holidays the governor declares are not known ahead",
    ),
    StateRule(
        "MD", "Maryland", "Maryland",
        "Md. Code, Com. Law § 14-4502 (Stop the Spam Calls Act of 2023)",
        every(EVERY_DAY, 8, 20), cap=3,
        uncertain="subsection not confirmed; the cap counts calls on the same subject",
    ),
    StateRule(
        "MS", "Mississippi", "Mississippi",
        "Miss. Code § 77-3-725",
        every(MON_SAT, 8, 20),
        uncertain="whether state legal holidays are closed too: sources disagree; not closed",
    ),
    StateRule(
        "OK", "Oklahoma", "Oklahoma",
        "15 O.S. § 775C.4 (Telephone Solicitation Act of 2022)",
        every(EVERY_DAY, 8, 20), cap=3,
        uncertain=CAP_ON_ANY_SUBJECT,
    ),
    StateRule(
        "RI", "Rhode Island", "Rhode Island",
        "R.I. Gen. Laws § 5-61-3.5",
        (*every((0, 1, 2, 3, 4), 9, 18), *every((5,), 10, 17)), holidays=True,
        uncertain="section number not confirmed",
    ),
    StateRule(
        "TX", "Texas", "Texas",
        "Tex. Bus. & Com. Code § 301.051",
        (*every(MON_SAT, 9, 21), *every((6,), 12, 21)),
    ),
    StateRule(
        "WA", "Washington", "État de Washington",
        "RCW 80.36.390(2); RCW 19.158.110",
        every(EVERY_DAY, 8, 20),
    ),
)  # fmt: skip
BY_CODE = {rule.code: rule for rule in STATE_RULES}


@lru_cache(maxsize=256)
def state_holidays(code: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("US", subdiv=code, years=year))


def rules_for(regions: str | None, rules: tuple[StateRule, ...]) -> tuple[StateRule, ...]:
    """Those of `rules` that apply to a contact in `regions` ("FL" or "FL TX")."""
    if not regions or not rules:
        return ()
    codes = set(regions.split())
    return tuple(rule for rule in rules if rule.code in codes)


# --- where a contact is --------------------------------------------------------------------

US_ZIP = re.compile(r"(\d{3,5})(?:-\d{4})?")
STATE_CODE = re.compile(r"[A-Z]{2}")


@lru_cache(maxsize=65536)
def state_of_zip(code: str | None) -> str | None:
    """The state (or territory) of a US ZIP code, as the `zipcodes` package records it."""
    if not code or not (match := US_ZIP.fullmatch(code.replace(" ", ""))):
        return None
    found = zipcodes.matching(match.group(1).zfill(5))
    return found[0]["state"] if found else None


@lru_cache(maxsize=1)
def area_code_states() -> dict[str, str]:
    """Each area code's state: the one most of the `zipcodes` package's ZIP codes listing the
    area code are in (a few border ZIP codes list a neighbour's)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for entry in zipcodes.list_all():
        for area_code in entry.get("area_codes") or ():
            counts[area_code][entry["state"]] += 1
    return {area_code: found.most_common(1)[0][0] for area_code, found in counts.items()}


def state_of_number(phone: str | None) -> str | None:
    """The state of a North American number's area code (`+1AAA...`), None when unknown."""
    if not phone or not phone.startswith("+1") or len(phone) != 12:
        return None
    return area_code_states().get(phone[2:5])


def explicit_state(value: object) -> str | None:
    """A state column's value as a postal abbreviation ("fl", "Florida" -> "FL"), None when
    it names none we can tell."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if STATE_CODE.fullmatch(text.upper()):
        return text.upper()
    for rule in STATE_RULES:
        if text.casefold() in (rule.name.casefold(), rule.name_fr.casefold()):
            return rule.code
    return None


# Attributes naming a contact's state (a file's column, as `imports.columns.attribute_name`
# writes its header).
STATE_ATTRIBUTES = ("state", "st", "state_code", "us_state")


def state_attribute(attributes: dict | None) -> str | None:
    """The state a contact's attributes name (a `State` column), as a postal abbreviation."""
    for name, value in (attributes or {}).items():
        if name.casefold() in STATE_ATTRIBUTES and (code := explicit_state(value)):
            return code
    return None


def contact_regions(
    postal_code: str | None, phone: str | None, country: str, state: str | None = None
) -> str | None:
    """A US contact's states, space-separated: the file's state column's (`state`), its ZIP
    code's and its number's area code's, each once ("FL CA"): every one's rules apply. None
    outside the US or when nothing tells."""
    if country.upper() != "US":
        return None
    named = (explicit_state(state), state_of_zip(postal_code), state_of_number(phone))
    return " ".join(code for code in dict.fromkeys(named) if code) or None
