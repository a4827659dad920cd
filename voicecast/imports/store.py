"""Upserting the contacts of a file: for each window of 10,000 rows one query finds which of
their numbers and external ids the account has; then the new are inserted and the known
updated (what the file leaves empty is kept), a window at a time on PostgreSQL (its bulk
statements are in `voicecast.imports.copying`), a thousand rows at a time on SQLite (each
commit lets the other writers in)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, text, update

from voicecast import dialects
from voicecast.extensions import db
from voicecast.imports.copying import Changes, CopyWriter, copy_lines, copy_text
from voicecast.imports.legal import LEGAL_COLUMNS, NOTHING, LegalCells, merged
from voicecast.imports.rows import KEPT_UNLESS_GIVEN, ContactRow, Rejected
from voicecast.imports.standing import StandingCount
from voicecast.models import Contact
from voicecast.models.base import utcnow
from voicecast.rules.us_states import contact_regions
from voicecast.time_zones import contact_zones

CONTACTS = Contact.__table__
CHUNK = 1000
# What an update may change: the other columns stay as the contact has them.
UPDATED = ("phone", *KEPT_UNLESS_GIVEN, "line_type", "timezone", "alt_timezone", "regions",
           "attributes", *LEGAL_COLUMNS)  # fmt: skip
UPDATE_KNOWN = (
    update(CONTACTS)
    .where(CONTACTS.c.id == bindparam("_id"))
    .values(
        {
            **{name: bindparam(name, type_=CONTACTS.c[name].type) for name in UPDATED},
            "updated_at": bindparam("updated_at", type_=CONTACTS.c.updated_at.type),
        }
    )
)


@dataclass
class Stored:
    created: int = 0
    matched: int = 0  # known contacts a row matched
    updated: int = 0  # those of them it changed
    rejected: list[Rejected] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)  # of the contacts created or matched
    counted: bool = False  # their standing counted as they were stored

    @property
    def unchanged(self) -> int:
        """Known contacts a row matched that were already as it says."""
        return self.matched - self.updated


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
    legal: dict[str, Any] | None = None  # the legal-basis columns on record (LEGAL_COLUMNS)
    postal_code: str | None = None  # on record: its zone stays when a row gives none

    def who(self) -> dict[str, int]:
        """Which contact it is, as a reason's params (voicecast.imports.reasons.OTHER)."""
        return {"contact_id": self.id} if self.id is not None else {"created_line": self.line}


class KnownContacts:
    """The account's contacts that share a number or an external id with the file, read a
    window of rows at a time, and kept up to date as the import creates and changes contacts
    (what the import did wins over what the database says)."""

    def __init__(self, account_id: int, country: str) -> None:
        self.account_id, self.country = account_id, country
        self.had_contacts = account_has_contacts(account_id)
        self.by_phone: dict[str, Known] = {}
        self.by_external: dict[str, Known] = {}
        self.seen: set[int] = set()

    def load(self, rows: list[ContactRow]) -> None:
        """Learn the account's contacts with a number or external id of `rows`."""
        if not self.had_contacts:
            return  # a first import: only what it creates itself can clash
        for contact_id, phone, external_id, postal_code, *legal in existing_contacts(
            self.account_id, rows
        ):
            taken = phone in self.by_phone or (external_id and external_id in self.by_external)
            if contact_id not in self.seen and not taken:
                self.seen.add(contact_id)
                legal_values = dict(zip(LEGAL_COLUMNS, legal, strict=True))
                self.note(
                    Known(
                        phone,
                        external_id,
                        id=contact_id,
                        legal=legal_values,
                        postal_code=postal_code,
                    )
                )

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
        if row.postal_code is None and contact.postal_code:
            # The contact keeps its postal code, and so the zones it gives with the number.
            number_zone = row.timezone  # a row without a postal code: the number's zone
            row.timezone, row.alt_timezone = contact_zones(
                contact.postal_code, self.country, number_zone
            )
            row.regions = contact_regions(contact.postal_code, row.phone, self.country, row.state)
        contact.postal_code = row.postal_code or contact.postal_code
        self.note(contact)


# Rows read before their numbers are looked up in one query, and stored while the next window
# is read: on PostgreSQL in one piece (stored a CHUNK at a time, the COPY thread spent most of
# an import waiting for the GIL: each round trip to the server hands it back), on SQLite a
# CHUNK at a time.
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


def upsert_contacts(
    account_id: int,
    items: Iterable[ContactRow | Rejected],
    key: str,
    heartbeat: Callable[[], None] | None = None,
    country: str = "FR",
    standing: StandingCount | None = None,
) -> Stored:
    """Create or update the account's contacts from `items` (rows refused on reading are
    passed through to the result), matched on `key` ("phone" or "external_id"), for an
    account of `country` (a postal code's zone); calls `heartbeat` and commits after each
    chunk (a window on PostgreSQL). On PostgreSQL, `standing` counts the contacts stored,
    window by window (`stored.counted` says so)."""
    stored = Stored()
    known = KnownContacts(account_id, country)
    writer = CopyWriter(standing) if dialects.is_postgresql() else None
    size = WINDOW if writer is not None else CHUNK
    try:
        for window in windows(items, stored):
            known.load(window)
            before = len(stored.phones)
            for chunk in chunks(window, size):
                upsert_chunk(account_id, chunk, key, stored, known, writer)
                if heartbeat is not None:
                    heartbeat()
                db.session.commit()
            if writer is not None:
                writer.count(stored.phones[before:])
        stored.counted = writer is not None and standing is not None
    finally:
        if writer is not None:
            stored.updated += writer.close()
    return stored


def account_has_contacts(account_id: int) -> bool:
    stmt = select(Contact.id).where(Contact.account_id == account_id).limit(1)
    return db.session.scalar(stmt) is not None


EXISTING_ON_POSTGRESQL = text(
    f"SELECT id, phone, external_id, postal_code, {', '.join(LEGAL_COLUMNS)} FROM contacts"
    " WHERE account_id = :account"
    " AND (phone = ANY(:phones) OR external_id = ANY(:external_ids))"
)
LOOKUP_CHUNK = 500  # numbers per IN (...) where the driver takes no arrays (SQLite)


def existing_contacts(account_id: int, rows: list[ContactRow]) -> list[tuple]:
    """The account's contacts with a number or an external id of `rows`, with their postal
    code and legal basis (LEGAL_COLUMNS): one query with two array parameters on PostgreSQL."""
    phones = [row.phone for row in rows]
    ids = [row.external_id for row in rows if row.external_id is not None]
    if dialects.is_postgresql():
        params = {"account": account_id, "phones": phones, "external_ids": ids}
        return db.session.execute(EXISTING_ON_POSTGRESQL, params).all()
    found = []
    for values, column in ((phones, Contact.phone), (ids, Contact.external_id)):
        for start in range(0, len(values), LOOKUP_CHUNK):
            legal = [CONTACTS.c[name] for name in LEGAL_COLUMNS]
            stmt = select(
                Contact.id, Contact.phone, Contact.external_id, Contact.postal_code, *legal
            ).where(
                Contact.account_id == account_id,
                column.in_(values[start : start + LOOKUP_CHUNK]),
            )
            found.extend(db.session.execute(stmt).all())
    return found


def current_values(contact_ids: list[int]) -> dict[int, dict[str, Any]]:
    """What an update may change of each contact, by id, read to be written
    (`dialects.for_writing`: no other writer, `POST /contacts/consents` say, changes them
    before this transaction ends)."""
    columns = [CONTACTS.c[name] for name in UPDATED]
    stmt = select(CONTACTS.c.id, *columns).where(CONTACTS.c.id.in_(contact_ids))
    stmt = dialects.for_writing(stmt.order_by(CONTACTS.c.id))
    return {contact_id: dict(zip(UPDATED, values, strict=True))
            for contact_id, *values in db.session.execute(stmt)}  # fmt: skip


def insert_new(
    account_id: int, rows: list[ContactRow], now: datetime, writer: CopyWriter | None
) -> None:
    """Insert new contacts: on PostgreSQL by `writer`, one COPY per chunk in the background;
    else with one executemany INSERT for those with a legal basis and one for the others
    (binding the legal basis's empty dates costs as much as the rest of a row)."""
    if writer is None:
        for part in (
            [row for row in rows if row.legal_values is not None],
            [row for row in rows if row.legal_values is None],
        ):
            if part:
                db.session.execute(
                    insert(CONTACTS), [new_contact(account_id, row, now) for row in part]
                )
    else:
        writer.insert(copy_text(account_id, rows, now))


def update_known(
    changes: list[tuple[int, ContactRow]], now: datetime, writer: CopyWriter | None
) -> int:
    """Apply the rows to the contacts they match (ids); a contact a row would not change is
    not written (and keeps its updated_at). On PostgreSQL by `writer` in the background
    (which counts the changed contacts: returns 0), else with one executemany UPDATE
    (returns how many it changed; does not commit)."""
    if writer is not None:
        ids = [str(contact_id) for contact_id, _ in changes]
        told = Changes(
            [contact_id for contact_id, _ in changes],
            now,
            [(contact_id, row.legal, row.legal_values) for contact_id, row in changes
             if row.legal is not None and row.legal_values is not None],
        )  # fmt: skip
        writer.update(copy_lines(ids, [row for _, row in changes], now, flagged=True), told)
        return 0
    current = current_values([contact_id for contact_id, _ in changes])
    changed = [
        {"_id": contact_id, **values, "updated_at": now}
        for contact_id, row in changes
        if contact_id in current
        and not same(values := updated_values(current[contact_id], row, now), current[contact_id])
    ]
    if changed:
        db.session.execute(UPDATE_KNOWN, changed)
    return len(changed)


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
    fresh: dict[LegalCells, dict[str, Any]] = {}
    by_phone, by_external = known.by_phone, known.by_external
    for row in chunk:
        owner = by_phone.get(row.phone)
        match = owner if key == "phone" else by_external.get(row.external_id)
        # Only a number or an external id held by another contact can clash.
        clash = (
            conflict(row, match, owner, known) if owner is not match or row.external_id else None
        )
        if clash:
            stored.rejected.append(clash)
            continue
        if match is None:
            new.append(row)
            known.note(Known(row.phone, row.external_id, line=row.line))
        else:
            changes.append((match.id, row))
            known.change(match, row)
        if row.legal is not None:
            if match is None:  # new contacts share the values of equal cells
                if (values := fresh.get(row.legal)) is None:
                    values = fresh[row.legal] = merged(NOTHING, row.legal, now)
                row.legal_values = values
            else:
                row.legal_values = merged(match.legal or NOTHING, row.legal, now)
        stored.phones.append(row.phone)
    if new:
        insert_new(account_id, new, now, writer)
    if changes:
        stored.updated += update_known(changes, now, writer)
    stored.created += len(new)
    stored.matched += len(changes)


def conflict(
    row: ContactRow, match: Known | None, owner: Known | None, known: KnownContacts
) -> Rejected | None:
    """Why `row` would take another contact's number (`owner` has it) or external id, if it
    would."""
    if owner is not None and owner is not match:
        return Rejected(row.line, "phone_taken", {"phone": row.phone, **owner.who()})
    other = known.by_external.get(row.external_id) if row.external_id else None
    if other is not None and other is not match:
        return Rejected(row.line, "external_id_taken", {"value": row.external_id, **other.who()})
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
        "alt_timezone": row.alt_timezone,
        "regions": row.regions,
    }


def new_contact(account_id: int, row: ContactRow, now) -> dict:
    fields = row_fields(row)
    return {"account_id": account_id, **fields, "attributes": row.attributes,
            **(row.legal_values or {}), "created_at": now, "updated_at": now}  # fmt: skip


def updated_values(current: dict[str, Any], row: ContactRow, now: datetime) -> dict[str, Any]:
    """A known contact's values once `row` is applied: what the row leaves empty is kept, its
    attributes are merged over the contact's (as `copying.NEW_VALUES` on PostgreSQL), its legal
    basis joins the contact's as it is now (`current`, read locked: not as it was when the
    window was looked up, which another writer may have changed since)."""
    values = {name: current[name] if (given := getattr(row, name)) is None else given
              for name in (*KEPT_UNLESS_GIVEN, "timezone")}  # fmt: skip
    values["phone"], values["line_type"] = row.phone, row.line_type
    # the second zone goes with the first: kept only when the row gives no zone
    values["alt_timezone"] = current["alt_timezone"] if row.timezone is None else row.alt_timezone
    values["regions"] = current["regions"] if row.regions is None else row.regions
    values["attributes"] = {**(current["attributes"] or {}), **row.attributes}
    on_record = {name: current[name] for name in LEGAL_COLUMNS}
    values.update(on_record if row.legal is None else merged(on_record, row.legal, now))
    return values


def same(values: dict[str, Any], current: dict[str, Any]) -> bool:
    """Whether `values` are what the contact has, as JSON tells values apart: Python holds
    True == 1 and 1 == 1.0, a JSON column does not."""
    return typed(values) == typed(current)


def typed(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    return type(value), value
