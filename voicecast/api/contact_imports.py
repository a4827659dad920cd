"""Contact imports: a CSV upload (read at once when small, else by a worker) and a JSON bulk
upsert, both answering with a report of every row created, updated or refused and why."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from flask import current_app
from pydantic import Field, StringConstraints
from sqlalchemy import select

from voicecast.api import bp
from voicecast.api.auth import current_principal
from voicecast.api.idempotency import once
from voicecast.api.queries import one_or_404
from voicecast.api.schemas import Input, Output, QueryInput
from voicecast.api.spec import operation
from voicecast.errors import invalid_field
from voicecast.extensions import db
from voicecast.imports.columns import Column
from voicecast.imports.dates import ORDERS
from voicecast.imports.queueing import enqueue_import
from voicecast.imports.run import import_lines, read_import
from voicecast.imports.source import Line
from voicecast.models import ContactImport

TAG = "Contacts"
MAX_BULK = 10_000
READ_AT_ONCE = "A file up to IMPORT_INLINE_BYTES was read at once: the import with its report."
READ_AT_ONCE = "A file up to IMPORT_INLINE_BYTES was read at once: the import with its report."
BULK_FIELDS = ("phone", "first_name", "last_name", "email", "external_id", "postal_code", "seller")


class ImportForm(QueryInput):
    match_on: Literal["phone", "external_id"] = Field(
        default="phone",
        description="How a row finds the contact it updates: its number, or external_id.",
    )
    mapping: str | None = Field(
        default=None,
        description='JSON: {"column header": "phone" | "first_name" | ... | "attr:name" | '
        '"ignore"}, for columns whose header is not recognised.',
    )
    date_order: str | None = Field(
        default=None,
        description='How slashed dates read: "MDY" (12/31/2026) or "DMY" (31/12/2026) for every '
        'column, or JSON {"column header": "MDY" | "DMY"}. By default each column\'s values '
        "decide, and a column whose every date reads both ways takes the account's order "
        "(MDY for US accounts, DMY otherwise); the report's columns say which and why.",
    )


class ImportOut(Output):
    id: int
    status: str
    filename: str
    report: dict[str, Any] | None = Field(
        description="rows, created, updated, unchanged, rejected, errors [{line, code, "
        "reason}], failed_cells, cell_errors [{line, column, value, code, reason}], columns "
        "(typed ones with their failed count), lines (every physical line: header_lines, "
        "empty_lines, continuation_lines, record_lines), calling (may_call, may_not_call by "
        "reason), match_on, encoding, delimiter; null until read. Reasons are in French for "
        "French accounts; codes are stable."
    )
    error: str | None
    created_at: datetime
    finished_at: datetime | None


# An attribute is named (a column of the table the contacts are read as), so never "".
AttributeName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class BulkContact(Input):
    phone: str = Field(max_length=32)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=254)
    external_id: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=16)
    seller: str | None = Field(default=None, description="The seller's email or name.")
    attributes: dict[AttributeName, str | int | float | bool | None] = Field(default_factory=dict)


class BulkImport(Input):
    contacts: list[BulkContact] = Field(max_length=MAX_BULK)
    match_on: Literal["phone", "external_id"] = "phone"


def import_out(record: ContactImport) -> ImportOut:
    return ImportOut(
        id=record.id,
        status=record.status.value,
        filename=record.filename,
        report=record.report,
        error=record.error,
        created_at=record.created_at,
        finished_at=record.finished_at,
    )


def json_object(text: str, field: str, message: str, fits: Callable[[Any], bool]) -> dict:
    """A form field holding a JSON object of texts to values that `fits` accepts; a 422
    with `message` (what to send) otherwise."""
    try:
        found = json.loads(text)
    except json.JSONDecodeError:
        found = None
    if not isinstance(found, dict) or not all(
        isinstance(key, str) and fits(value) for key, value in found.items()
    ):
        raise invalid_field(f"body.{field}", message, field)
    return found


def parse_mapping(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    message = 'Give the mapping as a JSON object, e.g. {"Tel. portable": "phone"}.'
    return json_object(text, "mapping", message, lambda value: isinstance(value, str))


def parse_date_order(text: str | None) -> str | dict[str, str] | None:
    """The `date_order` field: one order, or a JSON object of orders by header."""
    if not text or text in ORDERS:
        return text or None
    message = 'Give "MDY", "DMY" or a JSON object, e.g. {"Lease end": "MDY"}.'
    return json_object(text, "date_order", message, lambda value: value in ORDERS)


@operation(
    bp,
    "/contacts/import",
    "POST",
    summary="Import contacts from a CSV file",
    tag=TAG,
    form=ImportForm,
    response=ImportOut,
    status=202,
    also=((201, READ_AT_ONCE),),
    errors=(403, 413),
)
def import_contacts(form: ImportForm, upload):
    """Upsert the file's contacts. Comma, semicolon or tab; UTF-8 (with or without BOM) or
    Windows-1252; headers in French or English. A file up to IMPORT_INLINE_BYTES is read at
    once (201, with its report); a larger one by a worker (202: poll the import)."""
    principal = current_principal()
    principal.require_manager()
    options = {
        "match_on": form.match_on,
        "mapping": parse_mapping(form.mapping),
        "date_order": parse_date_order(form.date_order),
    }
    data = upload.read()
    record = ContactImport(
        account_id=principal.account_id,
        user_id=principal.user.id,
        filename=(upload.filename or "contacts.csv")[:255],
        options=options,
    )
    db.session.add(record)
    if len(data) <= current_app.config["IMPORT_INLINE_BYTES"]:
        db.session.commit()  # the record stays whatever the file turns out to be
        return import_out(read_import(record.id, data)), 201
    record.data = data
    db.session.commit()
    enqueue_import(record.id)
    return import_out(record)


@operation(
    bp,
    "/contacts/imports/<int:import_id>",
    "GET",
    summary="Get an import and its report",
    tag=TAG,
    response=ImportOut,
    errors=(403, 404),
)
def get_import(import_id: int):
    """Its status (queued, running, done, failed) and, once read, the report."""
    principal = current_principal()
    principal.require_manager()
    stmt = select(ContactImport).where(
        ContactImport.id == import_id, ContactImport.account_id == principal.account_id
    )
    return import_out(one_or_404(stmt, "import"))


@operation(
    bp,
    "/contacts/bulk",
    "POST",
    summary="Create or update many contacts",
    tag=TAG,
    body=BulkImport,
    status=200,
    errors=(403,),
)
def bulk_contacts(body: BulkImport):
    """Up to 10,000 contacts in one request, read like the rows of a CSV import; answers the
    same report (`line` is the contact's position in the list, from 1). The same batch twice
    changes nothing (the second report: every contact unchanged); with an `Idempotency-Key`
    header a retry gets the first answer again."""
    principal = current_principal()
    principal.require_manager()

    def act() -> dict[str, Any]:
        columns, lines = bulk_table(body.contacts)
        options = {"match_on": body.match_on}
        account = principal.user.account
        how = {"format": "json"}
        return import_lines(account, columns, len(columns), lines, options, how, True)

    return once("bulk_contacts", 200, act)


def bulk_table(contacts: list[BulkContact]) -> tuple[list[Column], list[Line]]:
    """The contacts as the columns and lines of a table, so they go through the CSV's checks."""
    names = sorted({name for contact in contacts for name in contact.attributes})
    columns = [Column(index, name, name, None) for index, name in enumerate(BULK_FIELDS)]
    columns += [
        Column(len(BULK_FIELDS) + index, name, None, name) for index, name in enumerate(names)
    ]
    lines = [
        Line(
            number,
            [cell(getattr(contact, name)) for name in BULK_FIELDS]
            + [contact.attributes.get(name) for name in names],
        )
        for number, contact in enumerate(contacts, start=1)
    ]
    return columns, lines


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
