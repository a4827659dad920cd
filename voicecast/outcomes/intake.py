"""Recording posted outcomes: each item's contact found (by id, external id or number), its
reference checked against those recorded (the same reference is the same outcome: a retry
records nothing twice), its attribution decided, and the row written. Every item ends
recorded, already recorded, or refused with a code and a reason: none is dropped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from voicecast.api.legal_basis import account_contacts
from voicecast.extensions import db
from voicecast.imports.legal import dated_in_future
from voicecast.models import Account, Contact
from voicecast.outcomes.attribution import attribute, chunks, touches_of
from voicecast.outcomes.models import Outcome, OutcomeKind
from voicecast.phones import InvalidPhone, describe

# What the API says of an item it did not record (`Refusal.code`).
REFUSALS = {
    "not_found": "contact_id names no contact of the account",
    "invalid_phone": "the number is not valid in its numbering plan",
    "occurred_in_future": "occurred_at is after now",
    "occurred_too_early": "occurred_at is before 2000",
    "duplicate": "the batch holds the reference twice",
    "reference_reused": "the reference was recorded with other values",
}
# The amount's currency when the item gives none: the account's country's.
CURRENCIES = {"US": "USD"}
DEFAULT_CURRENCY = "EUR"
# The columns `attributed` writes (all but the id).
WRITTEN = [column.key for column in Outcome.__table__.columns if column.key != "id"]
# What an outcome is, as compared to a retry of it (the reference aside).
# The contact is compared as the item names it: a row found by number holds its contact's id.
SAME = ("kind", "amount_cents", "currency", "occurred_at", "phone", "external_id")


@dataclass
class Posted:
    """One outcome as the request gives it (checked by the API's schema)."""

    reference: str
    kind: OutcomeKind
    occurred_at: datetime
    amount: float | None = None
    currency: str | None = None
    contact_id: int | None = None
    external_id: str | None = None
    phone: str | None = None


@dataclass
class Refusal:
    code: str
    reason: str


@dataclass
class Result:
    """What became of one item: its row (new or already there), or why it was refused."""

    outcome: Outcome | None = None
    created: bool = False
    refusal: Refusal | None = None


@dataclass
class Batch:
    account: Account
    items: list[Posted]
    now: datetime
    results: dict[int, Result] = field(default_factory=dict)
    contacts: dict[int, Contact | None] = field(default_factory=dict)
    phones: dict[int, str | None] = field(default_factory=dict)

    def refuse(self, index: int, code: str, reason: str) -> None:
        self.results[index] = Result(refusal=Refusal(code, reason))

    def open(self) -> list[int]:
        return [index for index in range(len(self.items)) if index not in self.results]


def account_currency(account: Account) -> str:
    return CURRENCIES.get(account.country, DEFAULT_CURRENCY)


# No outcome is older than drops: a time before this is a typo.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def when_refused(moment: datetime, now: datetime) -> tuple[str, str] | None:
    """Why `moment` cannot be when an outcome occurred (code, reason), if it cannot."""
    if moment.year > now.year or dated_in_future(moment, now):
        return (
            "occurred_in_future",
            "occurred_at is after now: give when it happened, or leave it out for now.",
        )
    if moment < EARLIEST:
        return "occurred_too_early", "occurred_at is before 2000: give when it happened."
    return None


def in_utc(moment: datetime) -> datetime:
    """`moment` in UTC (read as UTC when sent without a zone, as the API reads every time);
    a moment with no UTC time (0001-01-01T00:00+01:00) as its wall time."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return moment.replace(tzinfo=UTC)


def record(account: Account, items: list[Posted], now: datetime) -> list[Result]:
    """Record `items` (does not commit: the caller's transaction holds nothing else yet); their
    results, in order. A concurrent request that recorded one of the references meanwhile
    makes the batch start again, rolled back: the second pass finds them recorded."""
    for _ in range(3):
        batch = Batch(account, items, now)
        try:
            checked(batch)
            found_contacts(batch)
            attributed(batch)
            return [batch.results[index] for index in range(len(items))]
        except IntegrityError:
            db.session.rollback()
    raise RuntimeError("outcomes: the same references kept being recorded concurrently")


def checked(batch: Batch) -> None:
    """Refuse what no row can fix: a time to come, a number outside its plan, a reference
    twice in the batch; and answer references already recorded."""
    seen: dict[str, int] = {}
    for index, item in enumerate(batch.items):
        item.occurred_at = in_utc(item.occurred_at)
        refused = when_refused(item.occurred_at, batch.now)
        if refused:
            batch.refuse(index, *refused)
        elif item.reference in seen:
            batch.refuse(
                index,
                "duplicate",
                f"The same reference as item {seen[item.reference] + 1}: send each outcome once.",
            )
        elif item.phone is not None:
            try:
                batch.phones[index] = describe(item.phone, batch.account.country).e164
            except InvalidPhone as error:
                batch.refuse(index, "invalid_phone", str(error))
        seen.setdefault(item.reference, index)
    recorded_already(batch)


def recorded_already(batch: Batch) -> None:
    references = sorted({batch.items[index].reference for index in batch.open()})
    existing: dict[str, Outcome] = {}
    for chunk in chunks(references):
        stmt = select(Outcome).where(
            Outcome.account_id == batch.account.id, Outcome.reference.in_(chunk)
        )
        existing.update((row.reference, row) for row in db.session.scalars(stmt))
    for index in batch.open():
        row = existing.get(batch.items[index].reference)
        if row is None:
            continue
        wanted = columns(batch, index)
        differ = [name for name in SAME if getattr(row, name) != wanted[name]]
        if wanted["contact_id"] is not None and row.contact_id != wanted["contact_id"]:
            differ.append("contact_id")
        if differ:
            reason = (
                f"Reference {row.reference!r} was recorded with other values "
                f"({', '.join(differ)}): an outcome is not changed; use a new reference."
            )
            batch.refuse(index, "reference_reused", reason)
        else:
            batch.results[index] = Result(outcome=row)


def in_cents(amount: float) -> int:
    """12.345 -> 1235: the amount as written, to the nearest hundredth (half up)."""
    return int((Decimal(str(amount)) * 100).quantize(Decimal(1), ROUND_HALF_UP))


def columns(batch: Batch, index: int) -> dict:
    """What item `index` is, as the columns `SAME` compares (its contact as given)."""
    item = batch.items[index]
    cents = None if item.amount is None else in_cents(item.amount)
    currency = item.currency or (account_currency(batch.account) if cents is not None else None)
    return {
        "kind": item.kind,
        "amount_cents": cents,
        "currency": currency,
        "occurred_at": item.occurred_at,
        "contact_id": item.contact_id,
        "phone": batch.phones.get(index),
        "external_id": item.external_id,
    }


def found_contacts(batch: Batch) -> None:
    """Each open item's contact (None: nobody by that external id or number); an id that names
    none of the account's contacts is refused."""
    keys = {"contact_id": Contact.id, "external_id": Contact.external_id, "phone": Contact.phone}
    for name, column in keys.items():
        wanted = {index: getattr(batch.items[index], name) for index in batch.open()}
        if name == "phone":
            wanted = {index: batch.phones.get(index) for index in wanted}
        wanted = {index: value for index, value in wanted.items() if value is not None}
        found = account_contacts(batch.account.id, column, list(wanted.values()))
        for index, value in wanted.items():
            batch.contacts[index] = found.get(value)
            if name == "contact_id" and value not in found:
                batch.refuse(index, "not_found", f"No contact {value} in your account.")


def numbers_of(batch: Batch, index: int) -> set[str]:
    """The numbers whose drops and callbacks count for item `index`: its contact's, and the one
    it names."""
    contact, phone = batch.contacts.get(index), batch.phones.get(index)
    return {number for number in (contact and contact.phone, phone) if number}


def attributed(batch: Batch) -> None:
    """Write the open items, each with its attribution, in one bulk INSERT (the ORM's unit of
    work took 1.5 ms a row on PostgreSQL). Their results hold the rows as written, without
    their ids (`stored` reads one back)."""
    open_items = batch.open()
    if not open_items:
        return
    numbers = {index: numbers_of(batch, index) for index in open_items}
    until = max(batch.items[index].occurred_at for index in open_items)
    every = set().union(*numbers.values())
    touches = touches_of(batch.account.id, every, until)
    window = batch.account.outcome_attribution_days
    for index in open_items:
        found = [touch for number in numbers[index] for touch in touches.get(number, ())]
        known = batch.contacts.get(index) is not None
        result = attribute(found, batch.items[index].occurred_at, window, known)
        row = Outcome(
            account_id=batch.account.id,
            reference=batch.items[index].reference,
            attribution_days=window,
            unattributed=result.reason,
            created_at=batch.now,
            **columns(batch, index),
        )
        if batch.contacts.get(index) is not None:
            row.contact_id = batch.contacts[index].id
        if result.found is not None:
            touch = result.found
            row.touch, row.touched_at, row.delivery_id = touch.touch, touch.at, touch.delivery_id
            row.inbound_call_id, row.campaign_id = touch.inbound_call_id, touch.campaign_id
            row.seller_id = touch.seller_id
        batch.results[index] = Result(outcome=row, created=True)
    rows = [batch.results[index].outcome for index in open_items]
    db.session.execute(
        insert(Outcome), [{name: getattr(row, name) for name in WRITTEN} for row in rows]
    )


def stored(account_id: int, reference: str) -> Outcome:
    """The outcome recorded under `reference`, as the database holds it."""
    return db.session.scalars(
        select(Outcome).where(Outcome.account_id == account_id, Outcome.reference == reference)
    ).one()
