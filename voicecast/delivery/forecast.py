"""A campaign's preview before launch: who would be called and who skipped (and why), when
calls would start and when the last would be placed, and what they would cost. It runs the
very query planning runs, grouped instead of inserted, so its counts are planning's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from flask import current_app
from sqlalchemy import func, select

from voicecast.delivery.planning import delivery_rows
from voicecast.extensions import db
from voicecast.models.campaign import Campaign
from voicecast.rules.campaigns import CampaignRules, rules_of
from voicecast.rules.schedule import Schedule

# How long a drop keeps a line busy (ringing, greeting, message): with max_in_flight, it caps
# the pace as much as the calls-per-second limits do.
CALL_SECONDS = 45
HORIZON = timedelta(days=366)
CHUNK = timedelta(days=7)


@dataclass(frozen=True)
class Forecast:
    audience: int
    to_call: int
    skipped: dict[str, int]
    by_time_zone: dict[str, int]
    calls_per_second: float
    earliest_call: datetime | None
    expected_last_call: datetime | None
    estimated_cost: float
    max_cost: float
    currency: str
    rules: CampaignRules


def forecast(campaign: Campaign, now: datetime) -> Forecast:
    rows = delivery_rows(campaign, now).subquery()
    grouped = select(rows.c.reason, rows.c.timezone, func.count()).group_by(
        rows.c.reason, rows.c.timezone
    )
    skipped: dict[str, int] = {}
    by_zone: dict[str, int] = {}
    for reason, zone, count in db.session.execute(grouped):
        if reason is None:
            by_zone[zone] = by_zone.get(zone, 0) + count
        else:
            skipped[reason] = skipped.get(reason, 0) + count
    rules = rules_of(campaign)
    rate = pace(campaign)
    to_call = sum(by_zone.values())
    price = current_app.config["PRICE_PER_CALL"]
    openings = [rules.schedule.next_opening(zone, now) for zone in by_zone]
    return Forecast(
        audience=to_call + sum(skipped.values()),
        to_call=to_call,
        skipped=dict(sorted(skipped.items())),
        by_time_zone=dict(sorted(by_zone.items())),
        calls_per_second=round(rate, 3),
        earliest_call=min((at for at in openings if at), default=None),
        expected_last_call=last_call_at(rules.schedule, by_zone, rate, now),
        estimated_cost=round(to_call * price, 2),
        max_cost=round(to_call * campaign.max_attempts * price, 2),
        currency=current_app.config["PRICE_CURRENCY"],
        rules=rules,
    )


def pace(campaign: Campaign) -> float:
    """Calls per second the campaign can keep up: its cap, the carrier account's, and its
    in-flight cap over a call's length."""
    carrier = current_app.config["TWILIO_CALLS_PER_SECOND"]
    return min(campaign.calls_per_second, carrier, campaign.max_in_flight / CALL_SECONDS)


def last_call_at(
    schedule: Schedule, per_zone: dict[str, int], rate: float, start: datetime
) -> datetime | None:
    """When the last first attempt would be placed, calling at `rate` whenever some zone with
    calls left is open (None: nothing to call, or not within a year)."""
    remaining = {zone: float(count) for zone, count in per_zone.items() if count}
    last = None
    chunk_start = start
    while remaining and chunk_start < start + HORIZON:
        chunk_end = chunk_start + CHUNK
        intervals = [
            (opens, closes, zone)
            for zone in remaining
            for opens, closes in schedule.open_intervals(zone, chunk_start, chunk_end)
        ]
        points = sorted({moment for opens, closes, _ in intervals for moment in (opens, closes)})
        for begin, end in pairwise(points):
            open_zones = sorted(
                {z for o, c, z in intervals if o <= begin and end <= c and z in remaining}
            )
            finished = drain(remaining, open_zones, rate * (end - begin).total_seconds())
            if finished is not None:
                last = begin + timedelta(seconds=finished / rate)
        chunk_start = chunk_end
    return None if remaining else last


def drain(remaining: dict[str, float], zones: list[str], budget: float) -> float | None:
    """Spend up to `budget` calls on `zones`; how many calls in the last zone emptied
    finished (None: none emptied)."""
    used, finished = 0.0, None
    for zone in zones:
        take = min(remaining[zone], budget - used)
        used += take
        remaining[zone] -= take
        if remaining[zone] <= 1e-9:
            del remaining[zone]
            finished = used
        if used >= budget:
            break
    return finished
