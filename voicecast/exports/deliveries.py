"""A campaign's deliveries as CSV rows, read in keyset batches.

Batches follow the unique index (campaign_id, phone), so each one is an index range scan
however large the campaign (a million deliveries) and however many campaigns came before it;
rows come out by phone number. Each batch then reads its deliveries' contacts and attempts by
primary and unique keys; sellers are read once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import Row, select

from voicecast.dashboard.wording import ANSWERED_BY, ATTEMPT_STATES, REASONS, STAGES
from voicecast.delivery.pricing import converted
from voicecast.exports.csvstream import Cells, keyset_batches, text
from voicecast.extensions import db
from voicecast.models import Attempt, Contact, Delivery, User

BATCH = 2000

# Each column's code (the English header, stable for programs) and French title; a code
# column is followed by its label in the export's language.
COLUMNS = (
    ("delivery_id", "N° d'envoi"),
    ("phone", "Téléphone"),
    ("contact_id", "N° de contact"),
    ("contact_first_name", "Prénom"),
    ("contact_last_name", "Nom"),
    ("seller_id", "N° de vendeur"),
    ("seller_name", "Vendeur"),
    ("status", "Statut (code)"),
    ("status_label", "Statut"),
    ("reason", "Motif (code)"),
    ("reason_label", "Motif"),
    ("attempts", "Tentatives"),
    ("last_attempt_at", "Dernier appel ({zone})"),
    ("last_attempt_state", "État du dernier appel (code)"),
    ("last_attempt_state_label", "État du dernier appel"),
    ("last_attempt_outcome", "Issue du dernier appel (code)"),
    ("last_attempt_outcome_label", "Issue du dernier appel"),
    ("answered_by", "Répondu par (code)"),
    ("answered_by_label", "Répondu par"),
    ("call_sid", "Identifiant d'appel Twilio"),
    ("next_attempt_at", "Prochain appel ({zone})"),
    ("cost", "Coût"),
    ("cost_currency", "Devise du coût"),
)


@dataclass
class Calls:
    """What a delivery's attempts add up to: the last one, and the carrier's prices."""

    last: Attempt | None = None
    costs: dict[str, float] = field(default_factory=dict)  # currency -> amount

    def add(self, attempt: Attempt) -> None:
        if self.last is None or attempt.number > self.last.number:
            self.last = attempt
        if attempt.price is not None:
            config = current_app.config
            currency, rates = config["PRICE_CURRENCY"], config["PRICE_EXCHANGE_RATES"]
            unit, amount = converted(attempt.price_unit or "?", attempt.price, currency, rates)
            self.costs[unit] = self.costs.get(unit, 0.0) + amount

    def cost(self, cells: Cells) -> tuple[str, str]:
        """The cost and its currency; in several currencies (no rate converts one of them),
        each amount with its own, never added: "0,5 EUR + 0,07 USD" and no currency."""
        if len(self.costs) == 1:
            [(unit, amount)] = self.costs.items()
            return cells.money(amount, unit), unit
        if cells.language.us:
            return " + ".join(cells.money(amount, unit) for unit, amount in self.costs.items()), ""
        return " + ".join(f"{cells(amount)} {unit}" for unit, amount in self.costs.items()), ""


def seller_names(account_id: int) -> dict[int, str]:
    stmt = select(User.id, User.name).where(User.account_id == account_id)
    return {user_id: name for user_id, name in db.session.execute(stmt)}


def contact_names(contact_ids: Iterable[int | None]) -> dict[int, Row]:
    """The first and last names of the contacts `contact_ids` names (None left out), by id."""
    wanted = {contact_id for contact_id in contact_ids if contact_id is not None}
    stmt = select(Contact.id, Contact.first_name, Contact.last_name).where(Contact.id.in_(wanted))
    return {row.id: row for row in db.session.execute(stmt)}


def delivery_batches(campaign_id: int, account_id: int, cells: Cells) -> Iterator[list[list[str]]]:
    """The campaign's deliveries, `BATCH` rows at a time. The transaction ends after each
    batch: a slow download holds no connection and no snapshot between batches."""
    sellers = seller_names(account_id)
    stmt = select(Delivery).where(Delivery.campaign_id == campaign_id)
    return keyset_batches(
        stmt, Delivery.phone, "", BATCH, lambda rows: delivery_rows(rows, sellers, cells)
    )


def delivery_rows(
    deliveries: list[Delivery], sellers: dict[int, str], cells: Cells
) -> list[list[str]]:
    ids = [delivery.id for delivery in deliveries]
    contacts = contact_names(d.contact_id for d in deliveries)
    calls: dict[int, Calls] = {}
    for attempt in db.session.scalars(select(Attempt).where(Attempt.delivery_id.in_(ids))):
        calls.setdefault(attempt.delivery_id, Calls()).add(attempt)
    rows = []
    for delivery in deliveries:
        contact = contacts.get(delivery.contact_id)
        made = calls.get(delivery.id, Calls())
        last = made.last
        rows.append(
            [
                cells(delivery.id),
                cells.phone(delivery.phone),
                cells(delivery.contact_id),
                text(contact.first_name if contact else None),
                text(contact.last_name if contact else None),
                cells(delivery.seller_id),
                text(sellers.get(delivery.seller_id)),
                cells(delivery.status),
                cells.label(STAGES, delivery.status),
                cells(delivery.reason),
                cells.label(REASONS, delivery.reason),
                cells(delivery.attempt_count),
                cells(last and (last.dialed_at or last.created_at)),
                cells(last and last.state),
                cells.label(ATTEMPT_STATES, last and last.state),
                cells(last and last.outcome),
                cells.label(STAGES, last and last.outcome),
                cells(last and last.answered_by),
                cells.label(ANSWERED_BY, last and last.answered_by),
                cells(last and last.call_sid),
                cells(delivery.next_attempt_at),
                *made.cost(cells),
            ]
        )
    return rows
