"""Cell values as people type them: numbers with a decimal comma, dates slashed (in the
column's order: voicecast.imports.dates) or ISO, oui/non. A free column takes the type most of
its filled cells have (one impossible date does not turn a date column into text); a cell that
does not fit it is left empty and reported."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from voicecast.imports.dates import any_date

NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[.,]\d+)?")
LEADING_ZERO = re.compile(r"[+-]?0\d")
SPACES = re.compile(r"[ \u00a0\u202f]")
BOOLEANS = {"oui": True, "non": False, "yes": True, "no": False, "true": True,
            "false": False, "vrai": True, "faux": False}  # fmt: skip


def as_number(text: str) -> int | float | None:
    """The number `text` writes; None for other text and for codes with a leading zero
    ("01000", "0612345678"), which are identifiers, not quantities."""
    if text.isdigit() and text.isascii():  # most cells of a number column: typing reads each
        return int(text) if text[0] != "0" or len(text) == 1 else None
    if not NUMBER.fullmatch(text) or LEADING_ZERO.match(text):
        return None
    plain = SPACES.sub("", text).replace(",", ".")
    return float(plain) if "." in plain else int(plain)


def as_boolean(text: str) -> bool | None:
    return BOOLEANS.get(text.lower())


# A date column's values are read again in the column's order once it is known (rows.py).
PARSERS = {"number": as_number, "date": any_date, "boolean": as_boolean}
# The reason (voicecast.imports.reasons) for a cell that does not fit its column's type.
MISFIT = {"number": "not_a_number", "date": "not_a_date", "boolean": "not_a_boolean"}


def infer_type(cells: Iterable[str]) -> tuple[str, dict[str, Any]]:
    """ "number", "date", "boolean" or "text": the first type more than half of the filled
    cells parse as, and each distinct filled cell's value in that type (a cell that does not
    fit is not in it; empty for text)."""
    counts = Counter(cells)  # each distinct value once, with how often it comes
    counts.pop("", None)
    filled = sum(counts.values())
    for kind, parse in PARSERS.items():
        values, misfits = {}, 0
        for cell, times in counts.items():
            value = parse(cell)
            if value is None:
                misfits += times
                if misfits * 2 >= filled:
                    break
            else:
                values[cell] = value
        else:
            if filled:
                return kind, values
    return "text", {}
