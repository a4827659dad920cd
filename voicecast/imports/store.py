"""Upserting the contacts of a file, a thousand at a time: one query to find which exist, one
COPY (PostgreSQL) or bulk INSERT for the new, one bulk UPDATE for the known (what the file
leaves empty is kept)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, insert, or_, select, text, update

from voicecast.extensions import db
from voicecast.imports.rows import ContactRow, Rejected
from voicecast.models import Contact
from voicecast.models.base import utcnow

CONTACTS = Contact.__table__
CHUNK = 1000
KEPT_UNLESS_GIVEN = ("first_name", "last_name", "email", "external_id", "postal_code", "seller_id")
UPDATE_KNOWN = (
    update(CONTACTS)
    .where(CONTACTS.c.id == bindparam("_id"))
    .values(
        {
            **{
                name: func.coalesce(bindparam(name), CONTACTS.c[name]) for name in KEPT_UNLESS_GIVEN
            },
            "phone": bindparam("phone"),
            "line_type": bindparam("line_type"),
            "timezone": func.coalesce(bindparam("timezone"), CONTACTS.c.timezone),
            "attributes": bindparam("attributes", type_=CONTACTS.c.attributes.type),
            "updated_at": bindparam("updated_at", type_=CONTACTS.c.updated_at.type),
        }
    )
)


@dataclass
class Stored:
    created: int = 0
    updated: int = 0
    rejected: list[Rejected] = field(default_factory=list)


def chunks(rows: list[ContactRow], size: int = CHUNK) -> Iterator[list[ContactRow]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def upsert_contacts(account_id: int, rows: list[ContactRow], key: str) -> Stored:
    """Create or update the account's contacts from `rows`, matched on `key` ("phone" or
    "external_id"); commits after each chunk."""
    stored = Stored()
    for chunk in chunks(rows):
        plan_each_lookup()
        upsert_chunk(account_id, chunk, key, stored)
        db.session.commit()
    return stored


def plan_each_lookup() -> None:
    """Have PostgreSQL plan this transaction's statements for their own values and the table's
    size now. A plan cached while the table was small (a sequential scan) would otherwise serve
    every later chunk, each slower than the last (seconds per chunk past 30,000 contacts)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


KNOWN_ON_POSTGRESQL = text(
    "SELECT id, phone, external_id, attributes FROM contacts WHERE account_id = :account"
    " AND (phone = ANY(:phones) OR external_id = ANY(:external_ids))"
)


def known_contacts(account_id: int, chunk: list[ContactRow]) -> list:
    """The account's contacts with a number or an external id of `chunk`."""
    phones = [row.phone for row in chunk]
    ids = [row.external_id for row in chunk if row.external_id is not None]
    if db.engine.dialect.name == "postgresql":  # two array parameters, not 2,000 scalars
        params = {"account": account_id, "phones": phones, "external_ids": ids}
        return db.session.execute(KNOWN_ON_POSTGRESQL, params).all()
    stmt = select(Contact.id, Contact.phone, Contact.external_id, Contact.attributes).where(
        Contact.account_id == account_id,
        or_(Contact.phone.in_(phones), Contact.external_id.in_(ids)),
    )
    return db.session.execute(stmt).all()


COPIED = ("account_id", "phone", "first_name", "last_name", "email", "external_id",
          "postal_code", "seller_id", "line_type", "timezone", "attributes", "created_at",
          "updated_at")  # fmt: skip


def insert_new(new: list[dict]) -> None:
    """Insert the new contacts: with COPY on PostgreSQL (a tenth of the CPU of an INSERT of
    many VALUES), else one executemany INSERT."""
    if db.engine.dialect.name != "postgresql":
        db.session.execute(insert(CONTACTS), new)
        return
    driver_connection = db.session.connection().connection.dbapi_connection
    columns = ", ".join(COPIED)
    statement = f"COPY contacts ({columns}) FROM STDIN"
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for contact in new:
            values = [contact[name] for name in COPIED]
            values[COPIED.index("attributes")] = json.dumps(contact["attributes"])
            copy.write_row(values)


def upsert_chunk(account_id: int, chunk: list[ContactRow], key: str, stored: Stored) -> None:
    known = known_contacts(account_id, chunk)
    by_phone = {contact.phone: contact for contact in known}
    by_external = {contact.external_id: contact for contact in known if contact.external_id}
    now = utcnow()
    new, changed = [], []
    for row in chunk:
        match = by_phone.get(row.phone) if key == "phone" else by_external.get(row.external_id)
        clash = conflict(row, match, by_phone, by_external)
        if clash:
            stored.rejected.append(Rejected(row.line, clash))
        elif match is None:
            new.append(new_contact(account_id, row, now))
        else:
            changed.append(changed_contact(match, row, now))
    if new:
        insert_new(new)
    if changed:
        db.session.execute(UPDATE_KNOWN, changed)
    stored.created += len(new)
    stored.updated += len(changed)


def conflict(row: ContactRow, match, by_phone: dict, by_external: dict) -> str | None:
    """Why `row` would break another contact's number or external id, if it would."""
    owner = by_phone.get(row.phone)
    if owner is not None and (match is None or owner.id != match.id):
        return f"The number {row.phone} belongs to another contact (id {owner.id})."
    other = by_external.get(row.external_id) if row.external_id else None
    if other is not None and (match is None or other.id != match.id):
        return f"The external id {row.external_id} belongs to another contact (id {other.id})."
    return None


def row_fields(row: ContactRow) -> dict:
    """The columns a row sets (None: left as the contact has it, on update)."""
    return {
        "phone": row.phone,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "email": row.email,
        "external_id": row.external_id,
        "postal_code": row.postal_code,
        "seller_id": row.seller_id,
        "line_type": row.line_type,
        "timezone": row.timezone,
    }


def new_contact(account_id: int, row: ContactRow, now) -> dict:
    fields = row_fields(row)
    return {"account_id": account_id, **fields, "attributes": row.attributes,
            "created_at": now, "updated_at": now}  # fmt: skip


def changed_contact(match, row: ContactRow, now) -> dict:
    attributes = {**(match.attributes or {}), **row.attributes}
    return {"_id": match.id, **row_fields(row), "attributes": attributes, "updated_at": now}
