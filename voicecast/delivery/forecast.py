"""A campaign's preview before launch: who would be called and who skipped (and why), when
calls would start and when the last would be placed, and what they would cost. It runs the
very query planning runs, grouped instead of inserted, so its counts are planning's."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from itertools import pairwise

from flask import current_app
from sqlalchemy import func, select

from voicecast.delivery.attempt_states import retry_delay
from voicecast.delivery.pace import Pace, campaign_pace
from voicecast.delivery.planning import delivery_rows
from voicecast.extensions import db
from voicecast.models.campaign import Campaign
from voicecast.rules.campaigns import CampaignRules, rules_of
from voicecast.rules.schedule import Schedule, zone_info

HORIZON = timedelta(days=366)
CHUNK = timedelta(days=7)
# The window closings an ETA names one by one (a campaign of many days has one a day).
PAUSES_LISTED = 5


@dataclass(frozen=True)
class Pause:
    """A zone's window closing while it still has calls to place, and when it opens again."""

    zone: str
    closes_at: datetime
    reopens_at: datetime | None
    closed_because: str  # "hours" or the public holiday's name


@dataclass(frozen=True)
class Eta:
    """When the last first attempt would be placed (None: never within a year), and the
    window closings on the way there."""

    last_call: datetime | None
    pauses: tuple[Pause, ...]
    pause_count: int
    last_retry: datetime | None = None  # at the latest, every attempt used (None: no retry)


@dataclass(frozen=True)
class Forecast:
    audience: int
    to_call: int
    skipped: dict[str, int]
    by_time_zone: dict[str, int]
    pace: Pace
    earliest_call: datetime | None
    eta: Eta
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
    pace = campaign_pace(campaign)
    to_call = sum(by_zone.values())
    price = current_app.config["PRICE_PER_CALL"]
    openings = [rules.schedule.next_opening(zone, now) for zone in by_zone]
    return Forecast(
        audience=to_call + sum(skipped.values()),
        to_call=to_call,
        skipped=dict(sorted(skipped.items())),
        by_time_zone=dict(sorted(by_zone.items())),
        pace=pace,
        earliest_call=min((at for at in openings if at), default=None),
        eta=with_retries(
            eta(rules.schedule, by_zone, pace.calls_per_second, now),
            rules.schedule,
            campaign,
            list(by_zone),
        ),
        estimated_cost=round(to_call * price, 2),
        max_cost=round(to_call * campaign.max_attempts * price, 2),
        currency=current_app.config["PRICE_CURRENCY"],
        rules=rules,
    )


def eta(schedule: Schedule, per_zone: dict[str, int], rate: float, start: datetime) -> Eta:
    """When the last first attempt would be placed, calling at `rate` whenever some zone with
    calls left is open, and each time a zone's window closes on calls still to place."""
    remaining = {zone: float(count) for zone, count in per_zone.items() if count}
    last, pauses, count = None, [], 0
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
            for zone in open_zones:
                if zone in remaining and not schedule.is_open(zone, end):
                    count += 1
                    if len(pauses) < PAUSES_LISTED:
                        pauses.append(pause(schedule, zone, end))
        chunk_start = chunk_end
    return Eta(None if remaining else last, tuple(pauses), count)


def with_retries(found: Eta, schedule: Schedule, campaign: Campaign, zones: list[str]) -> Eta:
    """`found` with its last retry at the latest: after the last first attempt, each retry
    delay in turn (attempt_states.retry_delay), each retry waiting for the window of the zone that
    opens last."""
    if found.last_call is None or campaign.max_attempts <= 1:
        return found
    at: datetime | None = found.last_call
    for made in range(1, campaign.max_attempts):
        due = at + retry_delay(made, campaign.retry_delays_seconds)
        openings = [schedule.next_opening(zone, due) for zone in zones]
        at = max((o for o in openings if o), default=None)
        if at is None:
            break
    return replace(found, last_retry=at)


def pause(schedule: Schedule, zone: str, closes_at: datetime) -> Pause:
    """`zone`'s window closing at `closes_at`: when and why it stays closed."""
    reopens = schedule.next_opening(zone, closes_at)
    holiday = next(
        (
            name
            for day in days_between(closes_at, reopens, zone)
            if (name := schedule.holiday(zone, day))
        ),
        None,
    )
    return Pause(zone, closes_at, reopens, holiday or "hours")


def days_between(start: datetime, end: datetime | None, zone: str) -> list[date]:
    """The local dates of `zone` from `start` to `end` (a week at most when `end` is None)."""
    tz = zone_info(zone)
    first = start.astimezone(tz).date()
    last = (end or start + CHUNK).astimezone(tz).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


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
