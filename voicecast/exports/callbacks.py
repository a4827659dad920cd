"""A campaign's callbacks (customers calling back after its message) as CSV rows, in id
order, read in keyset batches over the index on inbound_calls.campaign_id."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from voicecast.exports.csvstream import Cells, keyset_batches, text
from voicecast.exports.deliveries import contact_names, seller_names
from voicecast.models import InboundCall

BATCH = 2000

HEADER = (
    "callback_id",
    "started_at",
    "caller",
    "number_called",
    "contact_id",
    "contact_first_name",
    "contact_last_name",
    "delivery_id",
    "seller_id",
    "seller_name",
    "route",
    "dialed_number",
    "dial_status",
    "outcome",
    "accepted_at",
    "ended_at",
    "duration_seconds",
    "talk_seconds",
    "recording_seconds",
    "notified",
    "notified_at",
    "call_sid",
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
                call.from_number,
                call.to_number,
                cells(call.contact_id),
                text(contact.first_name if contact else None),
                text(contact.last_name if contact else None),
                cells(call.delivery_id),
                cells(call.seller_id),
                text(sellers.get(call.seller_id)),
                call.route,
                cells(call.dialed_number),
                cells(call.dial_status),
                cells(call.outcome),
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
