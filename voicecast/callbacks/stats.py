"""What a campaign's drops brought back: the callbacks attributed to it."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_, select

from voicecast.extensions import db
from voicecast.models import CallbackOutcome, DeliveryStatus, InboundCall

# Deliveries whose contact heard the message: the callback rate's denominator.
REACHED = (DeliveryStatus.VOICEMAIL_LEFT, DeliveryStatus.HUMAN_REACHED)


def is_callback() -> ColumnElement[bool]:
    """An inbound call that counts as a callback: any but an opt-out. A customer who calls to
    hear no more is counted apart (`opted_out`), never as a callback nor in a callback rate."""
    return or_(InboundCall.outcome.is_(None), InboundCall.outcome != CallbackOutcome.OPTED_OUT)


def reached_in(counts: dict[str, int]) -> int:
    """How many of a campaign's deliveries (counted by status) reached someone."""
    return sum(counts.get(status, 0) for status in REACHED)


def callback_stats(campaign_id: int, reached: int) -> dict[str, float | int | None]:
    """Callbacks attributed to the campaign, by outcome; `rate` is the share of the `reached`
    contacts (who heard the message) that called back (None before anyone was reached).
    Opt-outs are counted apart: `calls` and `callers` leave them out."""
    stmt = (
        select(InboundCall.outcome, func.count())
        .where(InboundCall.campaign_id == campaign_id)
        .group_by(InboundCall.outcome)
    )
    rows = db.session.execute(stmt).all()
    callers = db.session.scalar(
        select(func.count(InboundCall.from_number.distinct())).where(
            InboundCall.campaign_id == campaign_id, is_callback()
        )
    )
    by_outcome = {outcome.value if outcome else "in_progress": count for outcome, count in rows}
    stats: dict[str, float | int | None] = {
        "calls": sum(count for outcome, count in rows if outcome != CallbackOutcome.OPTED_OUT),
        "callers": callers or 0,
        **{outcome.value: by_outcome.get(outcome.value, 0) for outcome in CallbackOutcome},
        "rate": round((callers or 0) / reached, 4) if reached else None,
    }
    return stats
