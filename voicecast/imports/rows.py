"""From the records of a customer file to contacts to upsert, and rows refused with a reason."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from voicecast.imports.columns import Column
from voicecast.imports.source import Line
from voicecast.imports.values import PARSERS, infer_type
from voicecast.models import Contact
from voicecast.phones import InvalidPhone, describe
from voicecast.places import contact_zone

# The longest text each field holds (its column's length): a longer cell is a bad row.
MAX_LENGTHS = {
    name: Contact.__table__.c[name].type.length
    for name in ("first_name", "last_name", "external_id", "postal_code")
}
# On an update, these stay as the contact has them when the row leaves them empty.
KEPT_UNLESS_GIVEN = ("first_name", "last_name", "email", "external_id", "postal_code", "seller_id")


@dataclass(slots=True)
class ContactRow:
    """One contact as the file gives it; None means "the file says nothing"."""

    line: int
    phone: str
    line_type: str
    timezone: str | None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    external_id: str | None = None
    postal_code: str | None = None
    seller_id: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str


class RowError(ValueError):
    """Why a row cannot be imported, said so that the file can be fixed."""


@dataclass(frozen=True)
class RowContext:
    """What reading a row needs beyond the row: the account's country and sellers."""

    country: str
    sellers: dict[str, int]  # seller email or name (lowercased) -> user id
    attribute_types: dict[int, str]  # column index -> "number", "date", "boolean", "text"
    # column index -> {cell: its value}, what typing the column read (saves reading it again)
    attribute_values: dict[int, dict[str, Any]] = field(default_factory=dict)


def attribute_types(
    columns: list[Column], lines: list[Line], width: int
) -> tuple[dict[int, str], dict[int, dict[str, Any]]]:
    """The type of each attribute column, from all its filled cells (in lines that have no
    more cells than the header: in the others, values may sit under the wrong column), and
    the values its cells were read as."""
    whole = [line for line in lines if not overflow(line, width)]
    types, values = {}, {}
    for column in columns:
        if column.attribute is not None:
            cells = [cell_at(line.cells, column.index) for line in whole]
            types[column.index], values[column.index] = infer_type(cells)
    return types, values


def overflow(line: Line, width: int) -> list[str]:
    """The filled cells of `line` past the header's `width`."""
    return [cell for cell in line.cells[width:] if cell.strip()]


class RowReader:
    """Reads the rows of one file: which cell fills which field or attribute, and how each
    attribute is typed, worked out once for all its rows."""

    def __init__(self, columns: list[Column], width: int, context: RowContext) -> None:
        self.width, self.context = width, context
        self.fields = [(column.field, column.index) for column in columns if column.field]
        self.attributes = [
            (
                column.attribute,
                column.index,
                parsed(
                    context.attribute_types[column.index],
                    context.attribute_values.get(column.index, {}),
                ),
            )
            for column in columns
            if column.attribute
        ]
        # Lines at least this long hold every field's cell (field cells are always text).
        self.full = 1 + max((index for _, index in self.fields), default=-1)

    def read(self, line: Line) -> ContactRow:
        """The contact `line` describes; raises RowError."""
        cells = line.cells
        if len(cells) > self.width and overflow(line, self.width):
            raise RowError(
                f"{len(cells)} cells where the header has {self.width}: is there a delimiter "
                "inside a value that is not quoted?"
            )
        if len(cells) >= self.full:
            values = {name: cells[index].strip() for name, index in self.fields}
        else:
            values = {name: cell_at(cells, index) for name, index in self.fields}
        row = self.contact(line.number, values)
        whole = len(cells) >= self.width
        attributes = row.attributes
        for name, index, typed in self.attributes:
            cell = cells[index] if whole else cell_at(cells, index)
            if isinstance(cell, str):
                cell = cell.strip()
                if cell:
                    attributes[name] = typed[cell] if typed is not None else cell
            elif cell is not None:
                attributes[name] = cell  # a JSON value, as sent
        return row

    def contact(self, number: int, values: dict[str, Any]) -> ContactRow:
        raw_phone = values.get("phone", "")
        if not raw_phone:
            raise RowError("No phone number.")
        country = self.context.country
        try:
            phone = describe(raw_phone, country)
        except InvalidPhone as error:
            raise RowError(str(error)) from None
        first_name, last_name, external_id, postal_code = (
            limited(values, name) for name in MAX_LENGTHS
        )
        return ContactRow(
            number,
            phone.e164,
            phone.line_type,
            contact_zone(postal_code, country, phone.timezone),
            first_name,
            last_name,
            checked_email(values.get("email") or None),
            external_id,
            postal_code,
            seller_of(values.get("seller") or None, self.context),
        )


def limited(values: dict[str, Any], name: str) -> str | None:
    """The text of field `name`, None if empty; RowError if too long to keep."""
    text = values.get(name) or None
    if text and len(text) > MAX_LENGTHS[name]:
        raise RowError(f"{name} is longer than {MAX_LENGTHS[name]} characters.")
    return text


class Parsed(dict):
    """A column's cells and their values: those typing the column read, and any other cell
    read (then remembered) on first sight."""

    def __init__(self, parse: Callable[[str], Any], known: dict[str, Any]) -> None:
        super().__init__(known)
        self.parse = parse

    def __missing__(self, cell: str) -> Any:
        value = self[cell] = self.parse(cell)
        return value


def parsed(kind: str, known: dict[str, Any]) -> Parsed | None:
    """The values of an attribute column's cells by type `kind` (a column repeats its values
    across thousands of rows); None: text, kept as it is."""
    parse = PARSERS.get(kind)
    return Parsed(parse, known) if parse else None


def cell_at(cells: list, index: int) -> Any:
    """The cell's text, stripped ("" when the line is short); a JSON value as it came."""
    if index >= len(cells):
        return ""
    cell = cells[index]
    return cell.strip() if isinstance(cell, str) else cell


def checked_email(email: str | None) -> str | None:
    if email is None:
        return None
    if "@" not in email or len(email) > 254 or " " in email:
        raise RowError(f"{email!r} is not an email address.")
    return email.lower()


def seller_of(name: str | None, context: RowContext) -> int | None:
    if name is None:
        return None
    seller_id = context.sellers.get(name.lower())
    if seller_id is None:
        raise RowError(f"No seller {name!r} in the account (give a seller's email or name).")
    return seller_id


def read_rows(
    lines: Iterable[Line], columns: list[Column], width: int, context: RowContext, key: str
) -> Iterator[ContactRow | Rejected]:
    """The file's contacts and its refused rows, in file order; a second row with the same
    `key` ("phone" or "external_id") as an earlier one is refused."""
    first_line: dict[tuple[str, str], int] = {}
    reader = RowReader(columns, width, context)
    for line in lines:
        try:
            row = reader.read(line)
        except RowError as error:
            yield Rejected(line.number, str(error))
            continue
        identity = getattr(row, key)
        if identity is None:
            yield Rejected(line.number, f"No {key.replace('_', ' ')} to match on.")
            continue
        seen = [
            (what, value) for what, value in identities(row, key) if (what, value) in first_line
        ]
        if seen:
            what, value = seen[0]
            yield Rejected(line.number, f"Same {what} ({value}) as line {first_line[what, value]}.")
            continue
        for identity in identities(row, key):
            first_line[identity] = line.number
        yield row


def identities(row: ContactRow, key: str) -> list[tuple[str, str]]:
    """What must be unique in a file: the number, and the external id when matching on it."""
    found = [("number", row.phone)]
    if key == "external_id" and row.external_id is not None:
        found.append(("external id", row.external_id))
    return found
