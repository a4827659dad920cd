"""CSV written as it is read: the two flavours (comma, and French Excel's semicolon), how
values are written, and the streaming response.

- `comma` (default): RFC 4180, UTF-8 without BOM, decimal point: for programs (a CRM import).
- `semicolon`: what French Excel opens by double-click: semicolons, decimal comma, and a
  UTF-8 BOM, without which Excel reads the file as Windows-1252 and garbles accents.

Both: a header line, CRLF line ends, times as `YYYY-MM-DD HH:MM:SS` (a format Excel reads as
a date), empty cells for unknown values.

The language (`?lang=`, the account's by default): `fr` titles the columns in French, writes
each code's label beside its code column (`status` `voicemail_left`, `status_label` "Message
déposé"), yes/no as oui/non and times in the account's zone, named in the titles; `en` titles
them with their codes (stable, for programs), the labels in English, times in UTC; `en-US`
(a US account's default) titles them in English for people and writes values the US way:
numbers `(213) 555-0143`, costs `$0.14`, times `12/06/2026 8:00 PM CST` in the account's zone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, stream_with_context

from voicecast.errors import invalid_field
from voicecast.exports.titles import ENGLISH_TITLES
from voicecast.extensions import db
from voicecast.i18n import local_time, money, translate, zone_name
from voicecast.phones import for_people

DELIMITERS = ("comma", "semicolon")
BOM = "\ufeff"
# A cell starting with one of these is a formula to a spreadsheet: imported names could run
# one on the manager's machine. Such cells get a leading apostrophe (OWASP's advice).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CsvFlavour:
    delimiter: str
    decimal_comma: bool
    bom: bool


FLAVOURS = {
    "comma": CsvFlavour(",", decimal_comma=False, bom=False),
    "semicolon": CsvFlavour(";", decimal_comma=True, bom=True),
}


def flavour_named(name: str | None) -> CsvFlavour:
    """The flavour for `?delimiter=`; a clear 422 for anything else."""
    found = FLAVOURS.get((name or "comma").strip().lower())
    if found is None:
        message = f"delimiter must be comma or semicolon, got {name!r}."
        raise invalid_field("query.delimiter", message, "enum")
    return found


def text(value: str | None) -> str:
    """Free text typed by people (names): never read as a formula."""
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


@dataclass(frozen=True)
class Language:
    """An export's language: titles and labels in `locale`, times in `zone` (None: UTC);
    `us`: English for people in the US (titles, numbers, costs and times their way)."""

    locale: str
    zone: str | None
    us: bool = False

    def header(self, columns: Sequence[tuple[str, str]]) -> list[str]:
        """The titles of `columns` (code, French title with "{zone}" where times are)."""
        if self.us:
            zone = zone_name(self.zone or "UTC", "en")
            return [ENGLISH_TITLES[code].replace("{zone}", zone) for code, _ in columns]
        if self.locale != "fr":
            return [code for code, _ in columns]
        zone = zone_name(self.zone or "UTC", "fr")
        return [title.replace("{zone}", zone) for _, title in columns]


class Cells:
    """Writes one flavour's values in one language: numbers with its decimal mark, times in
    its zone, yes/no and codes' labels in its words."""

    def __init__(self, flavour: CsvFlavour, language: Language) -> None:
        self.flavour = flavour
        self.language = language
        self.zone = ZoneInfo(language.zone) if language.zone else None

    def label(self, words: dict[str, str], code: Any) -> str:
        """The label of `code` (an enum or a string) from `words` (code -> French text)."""
        code = code.value if isinstance(code, Enum) else code
        if not code:
            return ""
        return translate(words.get(code, code), self.language.locale)

    def __call__(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return translate("oui" if value else "non", self.language.locale)
        if isinstance(value, Enum):
            return str(value.value)
        if isinstance(value, datetime) and self.language.us:
            return local_time(value, self.language.zone or "UTC", "datetime", "en-US")
        if isinstance(value, datetime):
            return (
                value.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")
                if self.zone
                else (value.strftime("%Y-%m-%d %H:%M:%S"))
            )
        if isinstance(value, float):
            written = f"{value:.4f}".rstrip("0").rstrip(".")
            return written.replace(".", ",") if self.flavour.decimal_comma else written
        return str(value)

    def phone(self, number: str | None) -> str:
        """A stored number (E.164): as US readers write theirs ((213) 555-0143) in a US
        export, else as it is stored."""
        if not number:
            return ""
        return for_people(number, "US") if self.language.us else number

    def money(self, amount: float, currency: str) -> str:
        """An amount: `$0.14` in a US export, else the bare figure (its currency beside it)."""
        return money(amount, currency, "en") if self.language.us else self(amount)


def csv_response(
    filename: str,
    columns: Sequence[tuple[str, str]],
    batches: Callable[[Cells], Iterable[list[list[str]]]],
    flavour: CsvFlavour,
    language: Language,
) -> Response:
    """A streamed CSV download: the header, then each batch of rows as it is read."""

    def lines() -> Iterator[bytes]:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=flavour.delimiter, lineterminator="\r\n")
        if flavour.bom:
            out.write(BOM)
        writer.writerow(language.header(columns))
        for rows in batches(Cells(flavour, language)):
            writer.writerows(rows)
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
        if out.tell():
            yield out.getvalue().encode()

    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def keyset_batches(
    stmt: Any, key: Any, after: Any, size: int, to_rows: Callable[[list[Any]], list[list[str]]]
) -> Iterator[list[list[str]]]:
    """The rows `stmt` selects in `key` order after `after`, `size` at a time, each batch made
    into CSV rows by `to_rows`. The transaction ends after each batch: a slow download holds no
    connection and no snapshot between batches, and the identity map keeps one batch."""
    db.session.commit()
    while True:
        found = db.session.scalars(stmt.where(key > after).order_by(key).limit(size)).all()
        if not found:
            db.session.commit()
            return
        rows = to_rows(found)
        after = getattr(found[-1], key.key)
        db.session.commit()
        db.session.expunge_all()
        yield rows
        if len(found) < size:
            return
