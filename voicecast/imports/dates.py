"""Which way a column writes its dates: month first (MM/DD/YYYY, the US) or day first
(DD/MM/YYYY, France). Decided per column, never per cell: a value that fits one order only
(01/31/2025, 31/01/2025) settles its column; a column whose every value fits both is read in
the account's order, and the report says it was ambiguous; the file's options may name the
order. A value that fits only the other order is never read swapped: it is a failed cell."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from voicecast.imports.reasons import say

MDY, DMY = "MDY", "DMY"
ORDERS = (MDY, DMY)
SLASHED = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]+Z?)?")
# How people are told to write a date of each order, in English and in French.
PATTERNS = {
    "en": {MDY: "MM/DD/YYYY", DMY: "DD/MM/YYYY"},
    "fr": {MDY: "MM/JJ/AAAA", DMY: "JJ/MM/AAAA"},
}


def iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def read_date(text: str, order: str = DMY) -> str | None:
    """The ISO date (YYYY-MM-DD) `text` writes, a slashed one read in `order`; None if none."""
    if match := SLASHED.fullmatch(text):
        first, second, year = (int(part) for part in match.groups())
        return iso(year, first, second) if order == MDY else iso(year, second, first)
    if match := ISO_DATE.fullmatch(text):
        return iso(*(int(part) for part in match.groups()))
    return None


def any_date(text: str) -> str | None:
    """`text`'s date in either order (which one does not matter here: typing a column only
    asks whether a cell is a date at all)."""
    return read_date(text, DMY) or read_date(text, MDY)


def fitting(text: str) -> frozenset[str]:
    """The orders a slashed date reads in (both, one, or none: 31/31/2025); ISO dates and
    other text say nothing of the order: empty."""
    if not SLASHED.fullmatch(text):
        return frozenset()
    return frozenset(order for order in ORDERS if read_date(text, order) is not None)


def other(order: str) -> str:
    return DMY if order == MDY else MDY


@dataclass(frozen=True)
class ColumnOrder:
    """The order a column's dates are read in, and why: `source` is "values" (some value fits
    only that order), "account" (every value fits both: `ambiguous`; or none is slashed) or
    "option" (the import's options name it). `against`: how many cells fit only the other
    order (each a failed cell)."""

    order: str
    ambiguous: bool
    source: str
    against: int = 0
    example: str | None = None  # a value that fits only `order`, when one settled it

    def misfit(self, cell: str) -> str:
        """Why `cell` is no date of this column: it fits only the other order, or none."""
        return "date_order_conflict" if other(self.order) in fitting(cell) else "not_a_date"

    def reader(self) -> Callable[[str], str | None]:
        order = self.order
        return lambda text: read_date(text, order)


def column_order(cells: Iterable[str], default: str, forced: str | None = None) -> ColumnOrder:
    """The order of a column holding `cells`: `forced` when given, else the one its
    single-order values take (the more of them when they disagree; `default` on a tie), else
    `default`, ambiguous when slashed dates fit both."""
    only, examples, both = Counter(), {}, 0
    for cell, times in Counter(cells).items():
        orders = fitting(cell)
        if len(orders) == 1:
            order = next(iter(orders))
            only[order] += times
            examples.setdefault(order, cell)
        elif len(orders) == 2:
            both += times
    if forced:
        return ColumnOrder(forced, False, "option", only[other(forced)])
    if not only:
        return ColumnOrder(default, both > 0, "account")
    order = max(ORDERS, key=lambda name: (only[name], name == default))
    return ColumnOrder(order, False, "values", only[other(order)], examples[order])


def forced_order(option: str | dict[str, str] | None, header: str) -> str | None:
    """The order the import's `date_order` option names for the column `header`: one order
    for every column, or one per header."""
    if isinstance(option, dict):
        return option.get(header)
    return option or None


def order_words(order: ColumnOrder | None, language: str) -> dict[str, str]:
    """The patterns a reason about a column's dates names: its order's and the other's."""
    patterns = PATTERNS[language]
    order_name = order.order if order is not None else DMY
    return {"pattern": patterns[order_name], "other_pattern": patterns[other(order_name)]}


def order_entry(order: ColumnOrder, language: str) -> dict[str, Any]:
    """What the import's report says of a date column's order: `date_order`, `ambiguous`,
    `date_order_from` and, when people should know why, a `date_note` in words."""
    entry: dict[str, Any] = {
        "date_order": order.order, "ambiguous": order.ambiguous, "date_order_from": order.source
    }  # fmt: skip
    words = {**order_words(order, language), "example": order.example, "against": order.against}
    notes = []
    if order.ambiguous:
        notes.append(say("date_order_ambiguous", words, language))
    elif order.source == "values":
        notes.append(say("date_order_from_values", words, language))
    elif order.source == "option":
        notes.append(say("date_order_from_option", words, language))
    if order.against:
        notes.append(say("date_order_against", words, language))
    if notes:
        entry["date_note"] = " ".join(notes)
    return entry
