"""Cell values as people type them: numbers with a decimal comma, dates as JJ/MM/AAAA or ISO,
oui/non. A free column takes the type all its filled cells agree on, else stays text."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[.,]\d+)?")
LEADING_ZERO = re.compile(r"[+-]?0\d")
FRENCH_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]+Z?)?")
BOOLEANS = {"oui": True, "non": False, "yes": True, "no": False, "true": True,
            "false": False, "vrai": True, "faux": False}  # fmt: skip


def as_number(text: str) -> int | float | None:
    """The number `text` writes; None for other text and for codes with a leading zero
    ("01000", "0612345678"), which are identifiers, not quantities."""
    if not NUMBER.fullmatch(text) or LEADING_ZERO.match(text):
        return None
    plain = re.sub(r"[ \u00a0\u202f]", "", text).replace(",", ".")
    return float(plain) if "." in plain else int(plain)


def as_date(text: str) -> str | None:
    """The ISO date (YYYY-MM-DD) `text` writes, day first when it uses slashes."""
    if match := FRENCH_DATE.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := ISO_DATE.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    else:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def as_boolean(text: str) -> bool | None:
    return BOOLEANS.get(text.lower())


PARSERS = {"number": as_number, "date": as_date, "boolean": as_boolean}


def infer_type(cells: list[str]) -> tuple[str, dict[str, Any]]:
    """ "number", "date", "boolean" or "text": the first type every filled cell parses as,
    and each distinct filled cell's value in that type (empty for text)."""
    filled = {cell for cell in cells if cell}  # each distinct value once
    if not filled:
        return "text", {}
    for kind, parse in PARSERS.items():
        values = {}
        for cell in filled:
            value = parse(cell)
            if value is None:
                break
            values[cell] = value
        else:
            return kind, values
    return "text", {}
