"""From the records of a customer file to contacts to upsert, and rows refused with a reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from voicecast.imports.columns import Column
from voicecast.imports.source import Line
from voicecast.imports.values import convert, infer_type
from voicecast.phones import InvalidPhone, describe
from voicecast.places import contact_zone

MAX_TEXT = 100


@dataclass
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


def attribute_types(columns: list[Column], lines: list[Line], width: int) -> dict[int, str]:
    """The type of each attribute column, from all its filled cells (in lines that have no
    more cells than the header: in the others, values may sit under the wrong column)."""
    whole = [line for line in lines if not overflow(line, width)]
    return {
        column.index: infer_type([cell_of(line, column) for line in whole])
        for column in columns
        if column.attribute is not None
    }


def overflow(line: Line, width: int) -> list[str]:
    """The filled cells of `line` past the header's `width`."""
    return [cell for cell in line.cells[width:] if cell.strip()]


def cell_of(line: Line, column: Column) -> Any:
    """The cell's text, stripped ("" when the line is short); a JSON value as it came."""
    if column.index >= len(line.cells):
        return ""
    cell = line.cells[column.index]
    return cell.strip() if isinstance(cell, str) else cell


def read_row(line: Line, columns: list[Column], width: int, context: RowContext) -> ContactRow:
    """The contact `line` describes; raises RowError."""
    if overflow(line, width):
        raise RowError(
            f"{len(line.cells)} cells where the header has {width}: is there a delimiter "
            "inside a value that is not quoted?"
        )
    values = {column.field: cell_of(line, column) for column in columns if column.field}
    raw_phone = values.get("phone", "")
    if not raw_phone:
        raise RowError("No phone number.")
    try:
        phone = describe(raw_phone, context.country)
    except InvalidPhone as error:
        raise RowError(str(error)) from None
    postal_code = values.get("postal_code") or None
    row = ContactRow(
        line=line.number,
        phone=phone.e164,
        line_type=phone.line_type,
        timezone=contact_zone(postal_code, context.country, phone.timezone),
        postal_code=postal_code,
    )
    for name in ("first_name", "last_name", "external_id"):
        text = values.get(name) or None
        if text and len(text) > MAX_TEXT:
            raise RowError(f"{name} is longer than {MAX_TEXT} characters.")
        setattr(row, name, text)
    row.email = checked_email(values.get("email") or None)
    row.seller_id = seller_of(values.get("seller") or None, context)
    for column in columns:
        cell = cell_of(line, column) if column.attribute else ""
        if cell != "" and cell is not None:
            row.attributes[column.attribute] = convert(cell, context.attribute_types[column.index])
    return row


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
) -> tuple[list[ContactRow], list[Rejected]]:
    """The file's contacts and its refused rows; a second row with the same `key` ("phone" or
    "external_id") as an earlier one is refused."""
    rows: list[ContactRow] = []
    rejected: list[Rejected] = []
    first_line: dict[tuple[str, str], int] = {}
    for line in lines:
        try:
            row = read_row(line, columns, width, context)
        except RowError as error:
            rejected.append(Rejected(line.number, str(error)))
            continue
        identity = getattr(row, key)
        if identity is None:
            rejected.append(Rejected(line.number, f"No {key.replace('_', ' ')} to match on."))
            continue
        seen = [
            (what, value) for what, value in identities(row, key) if (what, value) in first_line
        ]
        if seen:
            what, value = seen[0]
            message = f"Same {what} ({value}) as line {first_line[what, value]}."
            rejected.append(Rejected(line.number, message))
            continue
        for identity in identities(row, key):
            first_line[identity] = line.number
        rows.append(row)
    return rows, rejected


def identities(row: ContactRow, key: str) -> list[tuple[str, str]]:
    """What must be unique in a file: the number, and the external id when matching on it."""
    found = [("number", row.phone)]
    if key == "external_id" and row.external_id is not None:
        found.append(("external id", row.external_id))
    return found
