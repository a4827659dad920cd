"""From the records of a customer file to contacts to upsert, and rows refused with a reason."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from voicecast.imports.columns import Column
from voicecast.imports.dates import DMY, ColumnOrder
from voicecast.imports.legal import (
    LEGAL_FIELDS,
    LegalCells,
    as_consent,
    dated_in_future,
    day_start,
    legal_cells,
)
from voicecast.imports.reasons import Reasoned
from voicecast.imports.source import BadLine, Line
from voicecast.imports.values import MISFIT, PARSERS
from voicecast.models import Contact
from voicecast.models.base import utcnow
from voicecast.phones import InvalidPhone, describe
from voicecast.rules.us_states import contact_regions, state_attribute
from voicecast.time_zones import contact_zones

# The longest text each field holds (its column's length): a longer cell is a bad row.
MAX_LENGTHS = {
    name: Contact.__table__.c[name].type.length
    for name in (
        "first_name", "last_name", "external_id", "postal_code", "consent_source",
        "consent_proof", "contract_kind",
    )
}  # fmt: skip
# The legal basis's fields whose cells may be dates, read in their column's order.
LEGAL_DATES = ("consent", "date")
# What a row says of its consent: left out whole when the consent is dated in the future.
CONSENT_FIELDS = ("consent", "consent_date", "consent_source", "consent_proof")
Misfit = Callable[[str], str]  # a cell that does not fit its column -> the reason's code
# On an update, these stay as the contact has them when the row leaves them empty.
KEPT_UNLESS_GIVEN = ("first_name", "last_name", "email", "external_id", "postal_code", "seller_id")


@dataclass(slots=True)
class ContactRow:
    """One contact as the file gives it; None means "the file says nothing"."""

    line: int
    phone: str
    line_type: str
    timezone: str | None
    alt_timezone: str | None  # the number's, when the postal code names another zone
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    external_id: str | None = None
    postal_code: str | None = None
    seller_id: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    legal: LegalCells | None = None  # what the row says of the legal basis
    # the legal-basis columns once the row is applied (voicecast.imports.legal.merged)
    legal_values: dict[str, Any] | None = None
    # its columns in COPY text, when a reader process wrote them (copying.contact_text)
    copied: str | None = None
    # its US states (`us_states.contact_regions`), and its state column's (an attribute)
    regions: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class Rejected:
    """A line left out, and why: a code of voicecast.imports.reasons and its params."""

    line: int
    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CellFailure:
    """A cell that does not fit its column's type: left empty, its row imported."""

    line: int
    column: int  # its index in the header
    value: str
    code: str


class RowError(Reasoned):
    """Why a row cannot be imported (a code of voicecast.imports.reasons, and its params)."""


@dataclass(frozen=True)
class RowContext:
    """What reading a row needs beyond the row: the account's country and sellers."""

    country: str
    sellers: dict[str, int]  # seller email or name (lowercased) -> user id
    attribute_types: dict[int, str]  # column index -> "number", "date", "boolean", "text"
    # column index -> {cell: its value}, what typing the column read (saves reading it again)
    attribute_values: dict[int, dict[str, Any]] = field(default_factory=dict)
    # column index -> the order its dates are read in (date attributes, legal dates)
    date_orders: dict[int, ColumnOrder] = field(default_factory=dict)
    # the cells that did not fit their column's type, as the rows are read
    failures: list[CellFailure] = field(default_factory=list)
    now: datetime | None = None  # when the file is read (a consent cannot be dated after it)


def overflow(line: Line, width: int) -> list[str]:
    """The filled cells of `line` past the header's `width`."""
    return [cell for cell in line.cells[width:] if cell.strip()]


class RowReader:
    """Reads the rows of one file: which cell fills which field or attribute, and how each
    attribute is typed, worked out once for all its rows."""

    def __init__(self, columns: list[Column], width: int, context: RowContext) -> None:
        self.width, self.context = width, context
        self.now = context.now or utcnow()
        self.failures = context.failures
        self.headers = {column.field: column.header for column in columns if column.field}
        self.fields = [
            (column.field, column.index)
            for column in columns
            if column.field and column.field not in LEGAL_FIELDS
        ]
        orders = context.date_orders
        self.legal = [
            (column.field, column.index, legal_reading(column, orders.get(column.index)))
            for column in columns
            if column.field in LEGAL_FIELDS
        ]
        self.legal_seen: dict[tuple, tuple[LegalCells | None, list]] = {}
        self.attributes = [
            (column.attribute, column.index, *typing(column.index, context))
            for column in columns
            if column.attribute
        ]
        # Lines at least this long hold every field's cell (field cells are always text).
        self.full = 1 + max((index for _, index in self.fields), default=-1)

    def read(self, line: Line) -> ContactRow:
        """The contact `line` describes; raises RowError."""
        cells = line.cells
        if len(cells) > self.width and overflow(line, self.width):
            raise RowError("too_many_cells", cells=len(cells), width=self.width)
        if len(cells) >= self.full:
            values = {name: cells[index].strip() for name, index in self.fields}
        else:
            values = {name: cell_at(cells, index) for name, index in self.fields}
        row = self.contact(line.number, values)
        if self.legal:
            row.legal = self.legal_basis(line)
        whole = len(cells) >= self.width
        attributes = row.attributes
        for name, index, typed, misfit in self.attributes:
            cell = cells[index] if whole else cell_at(cells, index)
            if isinstance(cell, str):
                cell = cell.strip()
                if not cell:
                    continue
                if typed is None:
                    attributes[name] = cell
                elif (value := typed[cell]) is not None:
                    attributes[name] = value
                else:
                    self.failures.append(CellFailure(line.number, index, cell, misfit(cell)))
            elif cell is not None:
                attributes[name] = cell  # a JSON value, as sent
        self.place(row)
        return row

    def place(self, row: ContactRow) -> None:
        """The row's US states: its state column's (an attribute named "state"), its postal
        code's and its number's."""
        row.state = state_attribute(row.attributes)
        row.regions = contact_regions(row.postal_code, row.phone, self.context.country, row.state)

    def legal_basis(self, line: Line) -> LegalCells | None:
        """The row's legal-basis cells, typed; a cell that does not read is left empty (and
        reported). Rows repeat their legal cells: each set is read once."""
        cells = line.cells
        width = len(cells)
        key = tuple(cells[index] if index < width else "" for _, index, _ in self.legal)
        found = self.legal_seen.get(key)
        if found is None:
            found = self.legal_seen[key] = self.read_legal(key)
        legal, misfits = found
        for index, cell, code in misfits:
            self.failures.append(CellFailure(line.number, index, cell, code))
        return legal

    def read_legal(self, key: tuple) -> tuple[LegalCells | None, list[tuple[int, str, str]]]:
        """The legal basis of these cells (in self.legal's order), and those that do not read
        as their field's type: (column index, cell, reason code). Raises RowError."""
        values: dict[str, Any] = {}
        misfits = []
        for (name, index, reading), cell in zip(self.legal, key, strict=True):
            cell = cell.strip() if isinstance(cell, str) else ""
            if not cell:
                continue
            if reading is None:
                values[name] = limited({name: cell}, name, self.headers)
            elif (value := reading[0](cell)) is None:
                misfits.append((index, cell, reading[1](cell)))
            elif name in CONSENT_FIELDS and self.in_future(value):
                misfits.append((index, cell, "consent_in_future"))
            else:
                values[name] = value
        if any(code == "consent_in_future" for _, _, code in misfits):
            values = {name: value for name, value in values.items() if name not in CONSENT_FIELDS}
        return legal_cells(values), misfits

    def in_future(self, value: Any) -> bool:
        """A consent cell's date (ISO; True/False say nothing of when) after today."""
        return isinstance(value, str) and dated_in_future(day_start(value), self.now, True)

    def contact(self, number: int, values: dict[str, Any]) -> ContactRow:
        raw_phone = values.get("phone", "")
        if not raw_phone:
            raise RowError("no_phone")
        country = self.context.country
        try:
            phone = describe(raw_phone, country)
        except InvalidPhone:
            raise RowError("invalid_phone", value=raw_phone, country=country.upper()) from None
        first_name, last_name, external_id, postal_code = (
            limited(values, name, self.headers) for name in CONTACT_TEXTS
        )
        return ContactRow(
            number,
            phone.e164,
            phone.line_type,
            *contact_zones(postal_code, country, phone.timezone),
            first_name,
            last_name,
            checked_email(values.get("email") or None),
            external_id,
            postal_code,
            seller_of(values.get("seller") or None, self.context),
        )


CONTACT_TEXTS = ("first_name", "last_name", "external_id", "postal_code")


def typing(index: int, context: RowContext) -> tuple[Parsed | None, Misfit]:
    """How an attribute column's cells are read (None: kept as text), and the reason for one
    that does not read so."""
    kind = context.attribute_types[index]
    order = context.date_orders.get(index)
    if kind == "date" and order is not None:
        return Parsed(order.reader(), {}), order.misfit
    code = MISFIT.get(kind, "")
    return parsed(kind, context.attribute_values.get(index, {})), lambda _cell: code


def legal_reading(
    column: Column, order: ColumnOrder | None
) -> tuple[Callable[[str], Any], Misfit] | None:
    """How a legal-basis column's cells are read, and the reason for one that does not read
    so; None for text. Dates in the column's order."""
    kind = LEGAL_FIELDS[column.field]
    if kind not in LEGAL_DATES:
        return None
    order = order or ColumnOrder(DMY, False, "account")
    if kind == "date":
        return order.reader(), order.misfit

    def misfit(cell: str) -> str:
        code = order.misfit(cell)
        return code if code == "date_order_conflict" else "not_a_consent"

    return (lambda text: as_consent(text, order.order)), misfit


def limited(values: dict[str, Any], name: str, headers: dict[str, str]) -> str | None:
    """The text of field `name`, None if empty; RowError if too long to keep."""
    text = values.get(name) or None
    if text and len(text) > MAX_LENGTHS[name]:
        column = headers.get(name, name)
        raise RowError("too_long", field=name, column=column, max=MAX_LENGTHS[name])
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
        raise RowError("invalid_email", value=email)
    return email.lower()


def seller_of(name: str | None, context: RowContext) -> int | None:
    if name is None:
        return None
    seller_id = context.sellers.get(name.lower())
    if seller_id is None:
        raise RowError("unknown_seller", value=name)
    return seller_id


def read_line(reader: RowReader, line: Line | BadLine) -> ContactRow | Rejected:
    """The contact `line` gives, or why it gives none (the file's duplicates apart)."""
    if isinstance(line, BadLine):
        return Rejected(line.number, line.code, line.params)
    try:
        return reader.read(line)
    except RowError as error:
        return Rejected(line.number, error.code, error.params)


def deduplicated(
    items: Iterable[ContactRow | Rejected], key: str
) -> Iterator[ContactRow | Rejected]:
    """`items` in order, a row repeating an earlier row's number (or external id, when `key`
    is "external_id") refused; a row without the key refused too."""
    first_phone: dict[str, int] = {}
    first_external: dict[str, int] = {}
    by_external = key == "external_id"
    for row in items:
        if isinstance(row, Rejected):
            yield row
            continue
        if getattr(row, key) is None:
            yield Rejected(row.line, "no_external_id")
            continue
        earlier = first_phone.get(row.phone)
        if earlier is not None:
            yield Rejected(row.line, "duplicate_phone", {"phone": row.phone, "line": earlier})
            continue
        if by_external:
            earlier = first_external.get(row.external_id)
            if earlier is not None:
                params = {"value": row.external_id, "line": earlier}
                yield Rejected(row.line, "duplicate_external_id", params)
                continue
            first_external[row.external_id] = row.line
        first_phone[row.phone] = row.line
        yield row
