"""The account's outcomes as CSV (`GET /api/v1/outcomes.csv`), each with what it was
attributed to (the drop or callback, its campaign, journey and seller) or why not; streamed
in keyset batches like the campaigns' exports (`voicecast.exports`)."""

from __future__ import annotations

from flask import Response
from sqlalchemy import select

from voicecast.exports import Scope, language_of
from voicecast.exports.csvstream import Cells, csv_response, flavour_named, keyset_batches, text
from voicecast.exports.deliveries import contact_names, seller_names
from voicecast.extensions import db
from voicecast.models import Campaign
from voicecast.outcomes.models import Outcome
from voicecast.outcomes.report import journey_campaigns
from voicecast.outcomes.wording import KINDS, TOUCHES, UNATTRIBUTED

BATCH = 2000
# Each column's code and French title, as in exports/deliveries.py.
COLUMNS = (
    ("outcome_id", "N° de résultat"),
    ("reference", "Référence"),
    ("kind", "Type (code)"),
    ("kind_label", "Type"),
    ("amount", "Montant"),
    ("currency", "Devise"),
    ("occurred_at", "Date ({zone})"),
    ("contact_id", "N° de contact"),
    ("contact_first_name", "Prénom"),
    ("contact_last_name", "Nom"),
    ("external_id", "N° de client"),
    ("phone", "Téléphone"),
    ("attributed", "Attribué"),
    ("touch", "Attribué à (code)"),
    ("touch_label", "Attribué à"),
    ("touched_at", "Message ou rappel ({zone})"),
    ("delivery_id", "N° d'envoi"),
    ("callback_id", "N° de rappel"),
    ("campaign_id", "N° de campagne"),
    ("campaign_name", "Campagne"),
    ("seller_id", "N° de vendeur"),
    ("seller_name", "Vendeur"),
    ("unattributed", "Non attribué (code)"),
    ("unattributed_label", "Non attribué"),
    ("attribution_days", "Fenêtre (jours)"),
)


def outcomes_csv(scope: Scope, filters: dict, delimiter: str | None, lang: str | None) -> Response:
    """The outcomes of the scope's account, only those of `filters` (campaign_id, journey_id,
    seller_id) when given; managers and admins only."""
    flavour = flavour_named(delimiter)
    stmt = select(Outcome).where(Outcome.account_id == scope.account_id)
    if filters.get("campaign_id") is not None:
        stmt = stmt.where(Outcome.campaign_id == filters["campaign_id"])
    if filters.get("journey_id") is not None:
        stmt = stmt.where(Outcome.campaign_id.in_(journey_campaigns(filters["journey_id"])))
    if filters.get("seller_id") is not None:
        stmt = stmt.where(Outcome.seller_id == filters["seller_id"])
    sellers = seller_names(scope.account_id)
    return csv_response(
        "outcomes.csv",
        COLUMNS,
        lambda cells: keyset_batches(
            stmt, Outcome.id, 0, BATCH, lambda rows: outcome_rows(rows, sellers, cells)
        ),
        flavour,
        language_of(scope, lang),
    )


def campaign_names(campaign_ids: set[int]) -> dict[int, str]:
    stmt = select(Campaign.id, Campaign.name).where(Campaign.id.in_(sorted(campaign_ids)))
    return dict(db.session.execute(stmt).all())


def outcome_rows(rows: list[Outcome], sellers: dict[int, str], cells: Cells) -> list[list[str]]:
    contacts = contact_names(row.contact_id for row in rows)
    campaigns = campaign_names({row.campaign_id for row in rows if row.campaign_id})
    lines = []
    for row in rows:
        contact = contacts.get(row.contact_id)
        lines.append(
            [
                cells(row.id),
                text(row.reference),
                cells(row.kind),
                cells.label(KINDS, row.kind),
                cells.money(row.amount, row.currency) if row.amount is not None else "",
                cells(row.currency),
                cells(row.occurred_at),
                cells(row.contact_id),
                text(contact.first_name if contact else None),
                text(contact.last_name if contact else None),
                text(row.external_id),
                cells.phone(row.phone),
                cells(row.touch is not None),
                cells(row.touch),
                cells.label(TOUCHES, row.touch),
                cells(row.touched_at),
                cells(row.delivery_id),
                cells(row.inbound_call_id),
                cells(row.campaign_id),
                text(campaigns.get(row.campaign_id)),
                cells(row.seller_id),
                text(sellers.get(row.seller_id)),
                cells(row.unattributed),
                cells.label(UNATTRIBUTED, row.unattributed),
                cells(row.attribution_days),
            ]
        )
    return lines
