"""Upserting the contacts of a file: one query finds which of its numbers and external ids the
account has; then, a thousand rows at a time, one COPY (PostgreSQL) or bulk INSERT for the
new and one bulk UPDATE for the known (what the file leaves empty is kept)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, text, update

from voicecast.extensions import db
from voicecast.imports.copying import CopyWriter
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


@dataclass
class Known:
    """A contact as far as matching goes: one the account had (`id`), or one this import
    creates (`line`, the file line it comes from)."""

    phone: str
    external_id: str | None
    id: int | None = None
    line: int | None = None

    def __str__(self) -> str:
        return f"id {self.id}" if self.id is not None else f"created from line {self.line}"


class KnownContacts:
    """The account's contacts that share a number or an external id with the file, read a
    window of rows at a time, and kept up to date as the import creates and changes contacts
    (what the import did wins over what the database says)."""

    def __init__(self, account_id: int) -> None:
        self.account_id = account_id
        self.had_contacts = account_has_contacts(account_id)
        self.by_phone: dict[str, Known] = {}
        self.by_external: dict[str, Known] = {}
        self.seen: set[int] = set()

    def load(self, rows: list[ContactRow]) -> None:
        """Learn the account's contacts with a number or external id of `rows`."""
        if not self.had_contacts:
            return  # a first import: only what it creates itself can clash
        for contact_id, phone, external_id in existing_contacts(self.account_id, rows):
            taken = phone in self.by_phone or (external_id and external_id in self.by_external)
            if contact_id not in self.seen and not taken:
                self.seen.add(contact_id)
                self.note(Known(phone, external_id, id=contact_id))

    def note(self, contact: Known) -> None:
        self.by_phone[contact.phone] = contact
        if contact.external_id:
            self.by_external[contact.external_id] = contact

    def change(self, contact: Known, row: ContactRow) -> None:
        """`contact` takes `row`'s number (and its external id, when the row gives one)."""
        if self.by_phone.get(contact.phone) is contact:
            del self.by_phone[contact.phone]
        if row.external_id and self.by_external.get(contact.external_id or "") is contact:
            del self.by_external[contact.external_id]
        contact.phone = row.phone
        contact.external_id = row.external_id or contact.external_id
        self.note(contact)


# Rows read before their numbers are looked up in one query, and stored a CHUNK at a time
# while the next window is read.
WINDOW = 10_000


def windows(items: Iterable[ContactRow | Rejected], stored: Stored) -> Iterator[list[ContactRow]]:
    """The contacts of `items` a WINDOW at a time; the rejected rows go to `stored`."""
    window: list[ContactRow] = []
    for item in items:
        if isinstance(item, Rejected):
            stored.rejected.append(item)
            continue
        window.append(item)
        if len(window) == WINDOW:
            yield window
            window = []
    if window:
        yield window


def upsert_contacts(account_id: int, items: Iterable[ContactRow | Rejected], key: str) -> Stored:
    """Create or update the account's contacts from `items` (rows refused on reading are
    passed through to the result), matched on `key` ("phone" or "external_id"); commits
    after each chunk."""
    stored = Stored()
    known = KnownContacts(account_id)
    writer = CopyWriter(COPY_NEW) if db.engine.dialect.name == "postgresql" else None
    try:
        for window in windows(items, stored):
            known.load(window)
            for chunk in chunks(window):
                upsert_chunk(account_id, chunk, key, stored, known, writer)
                db.session.commit()
    finally:
        if writer is not None:
            writer.close()
    return stored


def account_has_contacts(account_id: int) -> bool:
    stmt = select(Contact.id).where(Contact.account_id == account_id).limit(1)
    return db.session.scalar(stmt) is not None


EXISTING_ON_POSTGRESQL = text(
    "SELECT id, phone, external_id FROM contacts WHERE account_id = :account"
    " AND (phone = ANY(:phones) OR external_id = ANY(:external_ids))"
)
LOOKUP_CHUNK = 500  # numbers per IN (...) where the driver takes no arrays (SQLite)


def existing_contacts(account_id: int, rows: list[ContactRow]) -> list[tuple]:
    """The account's contacts with a number or an external id of `rows`: one query with two
    array parameters on PostgreSQL."""
    phones = [row.phone for row in rows]
    ids = [row.external_id for row in rows if row.external_id is not None]
    if db.engine.dialect.name == "postgresql":
        params = {"account": account_id, "phones": phones, "external_ids": ids}
        return db.session.execute(EXISTING_ON_POSTGRESQL, params).all()
    found = []
    for values, column in ((phones, Contact.phone), (ids, Contact.external_id)):
        for start in range(0, len(values), LOOKUP_CHUNK):
            stmt = select(Contact.id, Contact.phone, Contact.external_id).where(
                Contact.account_id == account_id,
                column.in_(values[start : start + LOOKUP_CHUNK]),
            )
            found.extend(db.session.execute(stmt).all())
    return found


def attributes_of(contact_ids: list[int]) -> dict[int, dict]:
    stmt = select(Contact.id, Contact.attributes).where(Contact.id.in_(contact_ids))
    return dict(db.session.execute(stmt).all())


COPIED = ("account_id", "phone", "first_name", "last_name", "email", "external_id",
          "postal_code", "seller_id", "line_type", "timezone", "attributes", "created_at",
          "updated_at")  # fmt: skip
COPY_NEW = f"COPY contacts ({', '.join(COPIED)}) FROM STDIN"
# COPY's text format: these characters are written escaped, and \N is NULL.
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")
NULL, TAB = "\\N", "\t"
to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def insert_new(
    account_id: int, rows: list[ContactRow], now: datetime, writer: CopyWriter | None
) -> None:
    """Insert new contacts: on PostgreSQL with one COPY per chunk, its text written here in
    one piece (a tenth of the CPU of an INSERT of many VALUES, half that of psycopg's row by
    row) and run by `writer` in the background; else with one executemany INSERT."""
    if writer is None:
        db.session.execute(insert(CONTACTS), [new_contact(account_id, row, now) for row in rows])
    else:
        writer.write(copy_text(account_id, rows, now))


def copy_text(account_id: int, rows: list[ContactRow], now: datetime) -> str:
    return copy_lines([str(account_id)] * len(rows), rows, now)


def copy_lines(firsts: list[str], rows: list[ContactRow], now: datetime) -> str:
    """COPY text of `rows` in COPIED's order, each line starting with its `firsts` value."""
    stamp = now.isoformat()
    lines = []
    for account, row in zip(firsts, rows, strict=True):
        texts = [row.phone, row.first_name, row.last_name, row.email, row.external_id,
                 row.postal_code, row.line_type, row.timezone, to_json(row.attributes)]  # fmt: skip
        if NEEDS_ESCAPE.search("".join([text for text in texts if text])):  # rare
            plain = [NULL if text is None else text.translate(COPY_ESCAPES) for text in texts]
        else:
            plain = [NULL if text is None else text for text in texts]
        seller = NULL if row.seller_id is None else str(row.seller_id)
        lines.append(f"{account}\t{TAB.join(plain[:6])}\t{seller}\t{TAB.join(plain[6:])}")
    return f"\t{stamp}\t{stamp}\n".join(lines) + f"\t{stamp}\t{stamp}\n"


def upsert_chunk(
    account_id: int,
    chunk: list[ContactRow],
    key: str,
    stored: Stored,
    known: KnownContacts,
    writer: CopyWriter | None,
) -> None:
    now = utcnow()
    new: list[ContactRow] = []
    changes = []
    for row in chunk:
        match = (
            known.by_phone.get(row.phone)
            if key == "phone"
            else known.by_external.get(row.external_id)
        )
        clash = conflict(row, match, known)
        if clash:
            stored.rejected.append(Rejected(row.line, clash))
        elif match is None:
            new.append(row)
            known.note(Known(row.phone, row.external_id, line=row.line))
        else:
            changes.append((match.id, row))
            known.change(match, row)
    if new:
        insert_new(account_id, new, now, writer)
    if changes and writer is not None:
        update_by_copy(changes, now)
    elif changes:
        attributes = attributes_of([contact_id for contact_id, _ in changes])
        changed = [
            changed_contact(contact_id, attributes.get(contact_id), row, now)
            for contact_id, row in changes
        ]
        db.session.execute(UPDATE_KNOWN, changed)
    stored.created += len(new)
    stored.updated += len(changes)


CHANGES_TABLE = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS contact_changes (id integer, phone text,"
    " first_name text, last_name text, email text, external_id text, postal_code text,"
    " seller_id integer, line_type text, timezone text, attributes jsonb,"
    " created_at timestamptz, updated_at timestamptz) ON COMMIT DELETE ROWS"
)
COPY_CHANGES = f"COPY contact_changes (id, {', '.join(COPIED[1:])}) FROM STDIN"
# What a row leaves empty is kept; its attributes are merged over the contact's.
UPDATE_FROM_CHANGES = text(
    "UPDATE contacts c SET phone = t.phone, "
    + ", ".join(f"{name} = COALESCE(t.{name}, c.{name})" for name in KEPT_UNLESS_GIVEN)
    + ", line_type = t.line_type, timezone = COALESCE(t.timezone, c.timezone),"
    " attributes = c.attributes || t.attributes, updated_at = t.updated_at"
    " FROM contact_changes t WHERE c.id = t.id"
)


def update_by_copy(changes: list[tuple[int, ContactRow]], now: datetime) -> None:
    """PostgreSQL: the chunk's changes COPYed into a temporary table, then one UPDATE ...
    FROM it (an UPDATE per contact cost 35 s for 200,000). Does not commit."""
    db.session.execute(text(CHANGES_TABLE))
    driver_connection = db.session.connection().connection.dbapi_connection
    ids = [str(contact_id) for contact_id, _ in changes]
    with driver_connection.cursor() as cursor, cursor.copy(COPY_CHANGES) as copy:
        copy.write(copy_lines(ids, [row for _, row in changes], now))
    db.session.execute(UPDATE_FROM_CHANGES)


def conflict(row: ContactRow, match: Known | None, known: KnownContacts) -> str | None:
    """Why `row` would take another contact's number or external id, if it would."""
    owner = known.by_phone.get(row.phone)
    if owner is not None and owner is not match:
        return f"The number {row.phone} belongs to another contact ({owner})."
    other = known.by_external.get(row.external_id) if row.external_id else None
    if other is not None and other is not match:
        return f"The external id {row.external_id} belongs to another contact ({other})."
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


def changed_contact(contact_id: int, attributes: dict | None, row: ContactRow, now) -> dict:
    merged = {**(attributes or {}), **row.attributes}
    return {"_id": contact_id, **row_fields(row), "attributes": merged, "updated_at": now}
