"""What a campaign's drops brought back: the callbacks attributed to it."""

from __future__ import annotations

from sqlalchemy import func, select

from voicecast.extensions import db
from voicecast.models import CallbackOutcome, DeliveryStatus, InboundCall

# Deliveries whose contact heard the message: the callback rate's denominator.
REACHED = (DeliveryStatus.VOICEMAIL_LEFT, DeliveryStatus.HUMAN_REACHED)


def reached_in(counts: dict[str, int]) -> int:
    """How many of a campaign's deliveries (counted by status) reached someone."""
    return sum(counts.get(status, 0) for status in REACHED)


def callback_stats(campaign_id: int, reached: int) -> dict[str, float | int | None]:
    """Callbacks attributed to the campaign, by outcome; `rate` is the share of the `reached`
    contacts (who heard the message) that called back (None before anyone was reached)."""
    stmt = (
        select(InboundCall.outcome, func.count())
        .where(InboundCall.campaign_id == campaign_id)
        .group_by(InboundCall.outcome)
    )
    rows = db.session.execute(stmt).all()
    callers = db.session.scalar(
        select(func.count(InboundCall.from_number.distinct())).where(
            InboundCall.campaign_id == campaign_id
        )
    )
    by_outcome = {outcome.value if outcome else "in_progress": count for outcome, count in rows}
    stats: dict[str, float | int | None] = {
        "calls": sum(count for _, count in rows),
        "callers": callers or 0,
        **{outcome.value: by_outcome.get(outcome.value, 0) for outcome in CallbackOutcome},
        "rate": round((callers or 0) / reached, 4) if reached else None,
    }
    return stats
