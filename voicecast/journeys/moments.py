"""Date arithmetic of a step's moment, the other way round: which attribute dates reach their
moment on a given day. Attributes hold ISO dates as text, so a step selects contacts by
equality on a few dates (the GIN index answers it on PostgreSQL) rather than by computing
every contact's moment.

A month offset ends on the same day of the month, or on the month's last day when it has no
such day (31 January + 1 month = 28 February, as segments' relative dates): on the last day
of a month several dates reach it. A yearly step's moment is each anniversary of the date
plus the offset; a 29 February's anniversary is the 28th in other years.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS_IN = {"months": 1, "years": 12}


def add_months(day: date, months: int) -> date:
    """`day` `months` later (earlier if negative), on the month's last day if it is shorter."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def moment_of(source: date, amount: int, unit: str) -> date:
    """The moment of an attribute date `source` under the offset (`amount` `unit`)."""
    if unit == "days":
        return source + timedelta(days=amount)
    return add_months(source, amount * MONTHS_IN[unit])


def sources(day: date, amount: int, unit: str) -> list[date]:
    """The attribute dates whose moment is `day`: one for a day offset; none to four for a
    month offset (the month's last day gathers the longer months' last days)."""
    if unit == "days":
        return [day - timedelta(days=amount)]
    months = amount * MONTHS_IN[unit]
    first = add_months(day.replace(day=1), -months)
    length = calendar.monthrange(first.year, first.month)[1]
    candidates = (first.replace(day=number) for number in range(1, length + 1))
    return [source for source in candidates if add_months(source, months) == day]


@dataclass(frozen=True)
class Anniversaries:
    """The attribute dates whose yearly moment is a given day: those whose month and day are
    among `month_days` ("MM-DD") and that are before `before` (an anniversary comes after
    the date)."""

    month_days: tuple[str, ...]
    before: date


def anniversaries(day: date, amount: int, unit: str) -> Anniversaries | None:
    """What a yearly step selects on `day` (None: nobody)."""
    bases = sources(day, amount, unit)
    if not bases:
        return None
    month_days = {base.strftime("%m-%d") for base in bases}
    for base in bases:
        if (base.month, base.day) == (2, 28) and not calendar.isleap(base.year):
            month_days.add("02-29")
    return Anniversaries(tuple(sorted(month_days)), date(min(bases).year, 1, 1))
