"""What each call cost: the carrier writes a call's price some time after it ended, so ended
calls without one are looked up later, in batches, until they have it or are too old."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from voicecast.carrier import CarrierError, carrier_client
from voicecast.extensions import db
from voicecast.jobs import PRICE_CALLS
from voicecast.models import Attempt
from voicecast.models.base import utcnow
from voicecast.observability.logs import job_logger
from voicecast.queues import job_pending

SETTLE = timedelta(seconds=20)  # the carrier rarely has the price before this
GIVE_UP = timedelta(days=2)  # then the estimate stands
BATCH = 100
AGAIN_IN = timedelta(seconds=60)


def amounts_by_currency(
    priced: list[tuple[str, float]], currency: str, rates: dict[str, float]
) -> dict[str, float]:
    """Amounts `(unit, amount)` added up per currency: each in `currency` when it is that
    currency or `rates` (PRICE_EXCHANGE_RATES) converts it, else kept in its own, so a figure
    never adds two currencies."""
    totals: dict[str, float] = {currency: 0.0}
    for unit, amount in priced:
        unit, amount = converted(unit, amount, currency, rates)
        totals[unit] = totals.get(unit, 0.0) + amount
    return {unit: round(amount, 2) for unit, amount in totals.items()}


def converted(
    unit: str, amount: float, currency: str, rates: dict[str, float]
) -> tuple[str, float]:
    """`amount` of `unit` in `currency` when `rates` converts it, else as it is."""
    if unit != currency and unit in rates:
        return currency, amount * rates[unit]
    return unit, amount


def unpriced(campaign_id: int, now: datetime, limit: int) -> list[tuple[int, str]]:
    """(attempt id, call sid) of the campaign's calls that ended a while ago without a price."""
    stmt = (
        select(Attempt.id, Attempt.call_sid)
        .where(
            Attempt.campaign_id == campaign_id,
            Attempt.price.is_(None),
            Attempt.call_sid.is_not(None),
            Attempt.ended_at.between(now - GIVE_UP, now - SETTLE),
        )
        .order_by(Attempt.id)
        .limit(limit)
    )
    return [(row.id, row.call_sid) for row in db.session.execute(stmt)]


def read_price(raw: str | None) -> float | None:
    try:
        return abs(float(raw)) if raw not in (None, "") else None
    except ValueError:
        return None


def price_ended_calls(campaign_id: int, now: datetime, limit: int = BATCH) -> tuple[int, int]:
    """Fetch the price of up to `limit` ended calls; returns (priced now, still without one
    among those asked). Carrier errors leave a call for the next pass."""
    calls = unpriced(campaign_id, now, limit)
    db.session.commit()  # no transaction held while the carrier answers
    priced = 0
    for attempt_id, sid in calls:
        try:
            call = carrier_client().fetch_call(sid)
        except CarrierError:
            continue
        price = read_price(call.price)
        if price is None:
            continue
        unit = (call.price_unit or "")[:3] or None
        db.session.execute(
            update(Attempt).where(Attempt.id == attempt_id).values(price=price, price_unit=unit)
        )
        db.session.commit()
        priced += 1
    return priced, len(calls) - priced


def pricing_job_id(campaign_id: int) -> str:
    return f"price-calls-{campaign_id}"


def request_pricing(campaign_id: int, delay: timedelta | None = None) -> None:
    """Have the campaign's ended calls priced (one pending pricing job per campaign)."""
    job_id = pricing_job_id(campaign_id)
    if job_pending(job_id):
        return
    if delay is None:
        PRICE_CALLS.enqueue(campaign_id, job_id=job_id)
    else:
        PRICE_CALLS.enqueue_in(delay, campaign_id, job_id=job_id)


def price_campaign_calls(campaign_id: int) -> str:
    """Price the campaign's ended calls; while some still lack a price, look again later."""
    priced, left = price_ended_calls(campaign_id, utcnow())
    if left or priced == BATCH:
        PRICE_CALLS.enqueue_in(AGAIN_IN, campaign_id, job_id=pricing_job_id(campaign_id))
    job_logger(__name__).info("campaign %s: %s calls priced, %s not yet", campaign_id, priced, left)
    return f"priced {priced}, {left} not yet"
