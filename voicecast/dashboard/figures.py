"""What a campaign's page shows, computed in a few grouped queries whatever the campaign's
size: its funnel (deliveries by status, skipped by reason, waiting by reason), callbacks, cost,
and attempts and callbacks over time."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Integer, and_, cast, func, select

from voicecast import dialects
from voicecast.callbacks.stats import callback_stats, is_callback, reached_in
from voicecast.delivery.planning import counts_by_status
from voicecast.delivery.pricing import amounts_by_currency
from voicecast.extensions import db
from voicecast.models import Attempt, Delivery, DeliveryStatus, InboundCall
from voicecast.models.base import utcnow
from voicecast.models.campaign import Campaign
from voicecast.rules.campaigns import rules_of
from voicecast.rules.eligibility import reached_carrier
from voicecast.rules.waiting import why_waiting

# The funnel's stages, in order; "waiting" is split by reason, "excluded" by why.
STAGES = ("pending", "dialing", "voicemail_left", "voicemail_cut", "voicemail_unsure",
          "human_reached", "no_answer", "busy", "failed", "undeliverable", "canceled",
          "excluded")  # fmt: skip
MAX_POINTS = 120  # buckets on the chart
MIN_SPAN = timedelta(minutes=5)


def excluded_by_reason(campaign_id: int) -> dict[str, int]:
    stmt = (
        select(Delivery.reason, func.count())
        .where(Delivery.campaign_id == campaign_id, Delivery.status == DeliveryStatus.EXCLUDED)
        .group_by(Delivery.reason)
    )
    return {reason or "unknown": count for reason, count in db.session.execute(stmt)}


def waiting_by_reason(campaign: Campaign, now: datetime) -> dict[str, dict[str, Any]]:
    """Pending deliveries by why they wait, each reason with its count and the earliest time
    it lifts. Deliveries that wait alike (same zone, due or not, capped or not, first call or
    not, same states) are grouped in SQL and asked `why_waiting` once per group."""
    later = Delivery.next_attempt_at > now
    first_call = Delivery.attempt_count == 0
    alike = (Delivery.timezone, Delivery.alt_timezone, Delivery.regions, later, Delivery.reason,
             first_call)  # fmt: skip
    stmt = (
        select(*alike, func.min(Delivery.next_attempt_at), func.count())
        .where(Delivery.campaign_id == campaign.id, Delivery.status == DeliveryStatus.PENDING)
        .group_by(*alike)
    )
    rules, found = rules_of(campaign), {}
    for zone, alt, regions, _, reason, first, next_at, count in db.session.execute(stmt):
        sample = Delivery(status=DeliveryStatus.PENDING, timezone=zone, alt_timezone=alt,
                          regions=regions, reason=reason, attempt_count=0 if first else 1,
                          next_attempt_at=next_at)  # fmt: skip
        waiting = why_waiting(sample, rules, campaign.status, now)
        entry = found.setdefault(waiting.reason, {"count": 0, "until": None, "text": ""})
        entry["count"] += count
        if entry["until"] is None or (waiting.until and waiting.until < entry["until"]):
            entry["until"], entry["text"] = waiting.until, waiting.text
    return found


def cost(campaign_id: int, placed: int) -> dict[str, Any]:
    """What the calls cost: the carrier's prices where it gave them (per currency, as it bills
    them), the configured estimate for the calls it has not priced yet, and `amounts`: the
    cost per currency after PRICE_EXCHANGE_RATES, the estimate's currency first. `total` is
    the cost when that leaves one currency (else None)."""
    rows = db.session.execute(
        select(Attempt.price_unit, func.count(), func.sum(Attempt.price))
        .where(Attempt.campaign_id == campaign_id, Attempt.price.is_not(None))
        .group_by(Attempt.price_unit)
    ).all()
    carrier = [{"unit": unit or "?", "calls": calls, "amount": round(float(amount), 2)}
               for unit, calls, amount in rows]  # fmt: skip
    estimated_calls = max(0, placed - sum(entry["calls"] for entry in carrier))
    currency = current_app.config["PRICE_CURRENCY"]
    estimate = round(estimated_calls * current_app.config["PRICE_PER_CALL"], 2)
    priced = [(currency, estimate)] + [(entry["unit"], entry["amount"]) for entry in carrier]
    amounts = amounts_by_currency(priced, currency, current_app.config["PRICE_EXCHANGE_RATES"])
    return {
        "carrier": carrier,
        "estimate": {"calls": estimated_calls, "amount": estimate, "currency": currency},
        "amounts": [
            {"currency": unit, "amount": amount} for unit, amount in amounts.items() if amount
        ],
        "total": amounts[currency] if len(amounts) == 1 else None,
    }


def bucket_width(start: datetime, end: datetime) -> int:
    """Seconds per chart bucket: a round width giving at most MAX_POINTS buckets."""
    span = max(60.0, (end - start).total_seconds())
    for width in (10, 30, 60, 300, 900, 3600, 6 * 3600, 86400):
        if span / width <= MAX_POINTS:
            return width
    return 7 * 86400


def counts_per_bucket(column, condition, start: datetime, width: int) -> Counter:
    origin = int(start.timestamp())
    bucket = (dialects.epoch_seconds(column) - origin) / width
    stmt = select(cast(bucket, Integer), func.count()).where(condition, column >= start)
    return Counter(dict(db.session.execute(stmt.group_by(cast(bucket, Integer))).all()))


def timeline(campaign: Campaign, now: datetime) -> dict[str, Any]:
    """Calls placed and callbacks received per bucket of time since the launch (over at least
    MIN_SPAN, so that a campaign that just started does not fill the chart with one bar)."""
    start = campaign.launched_at or now
    end = min(now, campaign.finished_at + timedelta(hours=1)) if campaign.finished_at else now
    end = max(end, start + MIN_SPAN)
    width = bucket_width(start, end)
    attempts = counts_per_bucket(
        Attempt.dialed_at, and_(Attempt.campaign_id == campaign.id, reached_carrier()), start, width
    )
    callbacks = counts_per_bucket(
        InboundCall.started_at,
        and_(InboundCall.campaign_id == campaign.id, is_callback()),
        start,
        width,
    )
    buckets = max(1, int((max(end, start) - start).total_seconds() // width) + 1)
    buckets = max(buckets, 1 + max([*attempts, *callbacks], default=0))
    return {
        "start": start.isoformat(),
        "width_seconds": width,
        "attempts": [attempts.get(i, 0) for i in range(buckets)],
        "callbacks": [callbacks.get(i, 0) for i in range(buckets)],
    }


def campaign_figures(campaign: Campaign) -> dict[str, Any]:
    """Everything the campaign page shows, as JSON-ready values."""
    now = utcnow()
    counts = counts_by_status(campaign.id)
    total = sum(counts.values())
    done = sum(counts.get(status, 0) for status in STAGES[2:])
    placed = db.session.scalar(
        select(func.count()).where(Attempt.campaign_id == campaign.id, reached_carrier())
    )
    waiting = waiting_by_reason(campaign, now)
    return {
        "id": campaign.id,
        "status": campaign.status.value,
        "total": total,
        "progress": round(done / total, 4) if total else 0.0,
        "counts": {stage: counts.get(stage, 0) for stage in STAGES},
        "excluded": excluded_by_reason(campaign.id),
        "waiting": {
            reason: {**entry, "until": entry["until"] and entry["until"].isoformat()}
            for reason, entry in waiting.items()
        },
        "calls_placed": placed,
        "callbacks": callback_stats(campaign.id, reached_in(counts)),
        "cost": cost(campaign.id, placed),
        "timeline": timeline(campaign, now),
        "updated_at": now.isoformat(),
    }
