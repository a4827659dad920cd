"""A campaign's callbacks (customers calling back after its message) as CSV rows, in id
order, read in keyset batches over the index on inbound_calls.campaign_id."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from voicecast.dashboard.wording import ATTEMPT_STATES, OUTCOMES, ROUTES
from voicecast.exports.csvstream import Cells, keyset_batches, text
from voicecast.exports.deliveries import contact_names, seller_names
from voicecast.models import InboundCall

BATCH = 2000

# Each column's code and French title, as in deliveries.COLUMNS.
COLUMNS = (
    ("callback_id", "N° de rappel"),
    ("started_at", "Appel reçu ({zone})"),
    ("caller", "Appelant"),
    ("number_called", "Numéro appelé"),
    ("contact_id", "N° de contact"),
    ("contact_first_name", "Prénom"),
    ("contact_last_name", "Nom"),
    ("delivery_id", "N° d'envoi"),
    ("seller_id", "N° de vendeur"),
    ("seller_name", "Vendeur"),
    ("route", "Aiguillage (code)"),
    ("route_label", "Aiguillage"),
    ("dialed_number", "Numéro sonné"),
    ("dial_status", "Sonnerie (code)"),
    ("dial_status_label", "Sonnerie"),
    ("outcome", "Issue (code)"),
    ("outcome_label", "Issue"),
    ("accepted_at", "Pris ({zone})"),
    ("ended_at", "Fin ({zone})"),
    ("duration_seconds", "Durée (s)"),
    ("talk_seconds", "Conversation (s)"),
    ("recording_seconds", "Message (s)"),
    ("notified", "Vendeur prévenu"),
    ("notified_at", "Prévenu ({zone})"),
    ("call_sid", "Identifiant d'appel Twilio"),
)


def callback_batches(
    campaign_id: int, account_id: int, seller_id: int | None, cells: Cells
) -> Iterator[list[list[str]]]:
    """The campaign's callbacks (only `seller_id`'s when given), `BATCH` rows at a time; the
    transaction ends after each batch."""
    sellers = seller_names(account_id)
    stmt = select(InboundCall).where(
        InboundCall.campaign_id == campaign_id, InboundCall.account_id == account_id
    )
    if seller_id is not None:
        stmt = stmt.where(InboundCall.seller_id == seller_id)
    return keyset_batches(
        stmt, InboundCall.id, 0, BATCH, lambda calls: callback_rows(calls, sellers, cells)
    )


def callback_rows(
    calls: list[InboundCall], sellers: dict[int, str], cells: Cells
) -> list[list[str]]:
    contacts = contact_names(call.contact_id for call in calls)
    rows = []
    for call in calls:
        contact = contacts.get(call.contact_id)
        rows.append(
            [
                cells(call.id),
                cells(call.started_at),
                cells.phone(call.from_number),
                cells.phone(call.to_number),
                cells(call.contact_id),
                text(contact.first_name if contact else None),
                text(contact.last_name if contact else None),
                cells(call.delivery_id),
                cells(call.seller_id),
                text(sellers.get(call.seller_id)),
                call.route,
                cells.label(ROUTES, call.route),
                cells.phone(call.dialed_number),
                cells(call.dial_status),
                cells.label(ATTEMPT_STATES, call.dial_status),
                cells(call.outcome),
                cells.label(OUTCOMES, call.outcome),
                cells(call.accepted_at),
                cells(call.ended_at),
                cells(call.duration_seconds),
                cells(call.talk_seconds),
                cells(call.recording_seconds),
                cells(call.notified_at is not None),
                cells(call.notified_at),
                call.call_sid,
            ]
        )
    return rows
