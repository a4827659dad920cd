"""The daily evaluation: each active journey's steps, in each time zone its contacts live in,
let in the contacts whose moment is that zone's local today, once (the entries' unique
constraint, written with ON CONFLICT DO NOTHING), and make the campaign that calls them (the
delivery engine's planning and calling rules, as for any campaign).

It runs every EVALUATE_EVERY_S (the workers' periodic pass queues it) and is idempotent: a
journey's cursor (`evaluated_at`) says which local days are still to evaluate, today's
included (a nightly feed may land after midnight), and an entry is never written twice.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Date, and_, func, literal, or_, select

from voicecast import dialects
from voicecast.delivery import planning
from voicecast.extensions import db
from voicecast.jobs import EVALUATE_JOURNEYS
from voicecast.journeys import moments, recordings
from voicecast.journeys.models import (
    Journey,
    JourneyEntry,
    JourneyRun,
    JourneyStatus,
    JourneyStep,
)
from voicecast.models import Account, Campaign, CampaignStatus, Contact, Segment
from voicecast.models.base import UTCDateTime, utcnow
from voicecast.observability.logs import job_logger
from voicecast.redis_client import get_redis
from voicecast.segments.filters import ATTRIBUTE, as_text, compare, compile_filter

# How often the periodic pass queues an evaluation: every zone's midnight is a whole quarter
# hour of UTC, and a feed landing during the day is seen within this.
EVALUATE_EVERY_S = 900
# Days missed while nothing evaluated (workers down) are caught up, this far back at most
# (a paused journey's moments follow its own policy instead: `controls.resume`).
LATE_DAYS_MAX = 7
ENTRY_COLUMNS = [
    "account_id",
    "step_id",
    "contact_id",
    "occurrence",
    "moment_on",
    "entered_on",
    "run_id",
    "created_at",
]


def queue_evaluation(now: datetime | None = None) -> bool:
    """Queue an evaluation unless one was queued in this quarter hour (the periodic pass runs
    every 30 s); True when queued. Redis forgetting it costs one more idempotent run."""
    slot = int((now or utcnow()).timestamp()) // EVALUATE_EVERY_S
    if not get_redis().set(f"journeys:evaluation:{slot}", 1, nx=True, ex=2 * EVALUATE_EVERY_S):
        return False
    EVALUATE_JOURNEYS.enqueue(job_id=f"journeys-evaluation-{slot}")
    return True


def evaluate_journeys(now: datetime | None = None) -> dict[str, int]:
    """The job's body: evaluate every active journey at `now`, then plan the campaigns made."""
    now = now or utcnow()
    ids = list(db.session.scalars(select(Journey.id).where(Journey.status == JourneyStatus.ACTIVE)))
    db.session.commit()
    made = []
    for journey_id in sorted(ids):
        made += evaluate_journey(journey_id, now)
    for campaign_id in made:
        planning.plan_campaign(campaign_id)
    if made:
        job_logger(__name__).info("journeys: %s campaigns made", len(made))
    return {"journeys": len(ids), "campaigns": len(made)}


def evaluate_journey(journey_id: int, now: datetime) -> list[int]:
    """Let in one journey's contacts due at `now` and make their campaigns (status planning,
    not planned yet), in one transaction with the journey's row locked; their ids."""
    stmt = dialects.for_writing(select(Journey).where(Journey.id == journey_id))
    journey = db.session.scalar(stmt)
    if journey is None or journey.status != JourneyStatus.ACTIVE:
        db.session.rollback()
        return []
    account_zone = db.session.get(Account, journey.account_id).timezone
    steps = db.session.scalars(
        select(JourneyStep).where(JourneyStep.journey_id == journey.id).order_by(JourneyStep.id)
    ).all()
    made = []
    for zone in contact_zones(journey.account_id, account_zone):
        for step in steps:
            campaign = enter_step(journey, step, zone, account_zone, now)
            if campaign is not None:
                made.append(campaign.id)
    made += recordings.release_waiting(journey, steps, now, day_campaign)
    journey.evaluated_at = now
    db.session.commit()
    return made


def contact_zones(account_id: int, account_zone: str) -> list[str]:
    """The zones the account's contacts live in (a contact without one: the account's)."""
    zone = func.coalesce(Contact.timezone, account_zone)
    found = db.session.scalars(select(zone).where(Contact.account_id == account_id).distinct())
    return sorted(name for name in found if known_zone(name))


def known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def days_due(journey: Journey, step: JourneyStep, zone: str, now: datetime) -> list[date]:
    """The local days of `zone` whose moments are to evaluate at `now`: from the cursor's day
    (or the step's trigger's, if later) through today, at most LATE_DAYS_MAX (or the catch-up
    allowance) back."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    since = max(journey.evaluated_at, step.effective_from).astimezone(tz).date()
    first = max(since, today - timedelta(days=max(LATE_DAYS_MAX, journey.catch_up_days)))
    return [first + timedelta(days=n) for n in range((today - first).days + 1)]


def enter_step(
    journey: Journey, step: JourneyStep, zone: str, account_zone: str, now: datetime
) -> Campaign | None:
    """Let in the step's contacts of `zone` due at `now`; the campaign made for them (None:
    nobody new). Does not commit."""
    days = days_due(journey, step, zone, now)
    if not days:
        return None
    run = JourneyRun(account_id=step.account_id, step_id=step.id, day=days[-1], zone=zone)
    run.entered = 0
    db.session.add(run)
    db.session.flush()
    run.entered = sum(insert_entries(step, run, account_zone, day, now) for day in days)
    if not run.entered:
        db.session.delete(run)
        db.session.flush()
        return None
    if recordings.hold_unrecorded(step, run, now) == run.entered:
        return None  # all wait for their seller's recording of the step: no campaign yet
    campaign = day_campaign(journey, step, run, now)
    run.campaign_id = campaign.id
    return campaign


def in_zone(zone: str, account_zone: str) -> ColumnElement[bool]:
    if zone == account_zone:
        return or_(Contact.timezone.is_(None), Contact.timezone == zone)
    return Contact.timezone == zone


def moment_condition(step: JourneyStep, day: date) -> ColumnElement[bool] | None:
    """Contacts whose moment of `step` is `day` (None: nobody's can be)."""
    field = ATTRIBUTE + step.attribute
    unit = step.offset_unit.value
    if step.yearly:
        found = moments.anniversaries(day, step.offset_amount, unit)
        if found is None:
            return None
        text = as_text(field)
        return and_(
            func.length(text) == 10,
            func.substr(text, 6, 5).in_(found.month_days),
            text < found.before.isoformat(),
        )
    dates = moments.sources(day, step.offset_amount, unit)
    if not dates:
        return None
    return or_(*(compare(field, "eq", source.isoformat(), field) for source in dates))


def insert_entries(step: JourneyStep, run: JourneyRun, account_zone: str, day: date,
                   now: datetime) -> int:  # fmt: skip
    """Write the entries of the contacts of the run's zone whose moment is `day` and who have
    not entered this step (this year's, for a yearly step); how many."""
    condition = moment_condition(step, day)
    if condition is None:
        return 0
    where = [Contact.account_id == step.account_id, in_zone(run.zone, account_zone), condition]
    if step.segment_id is not None:
        segment = db.session.get(Segment, step.segment_id)
        if segment is None or segment.account_id != step.account_id:
            return 0  # deleted since: nobody enters
        where.append(compile_filter(segment.filter, run.day))
    rows = select(
        literal(step.account_id),
        literal(step.id),
        Contact.id,
        literal(day.year if step.yearly else 0),
        literal(day, Date()),
        literal(run.day, Date()),
        literal(run.id),
        literal(now, UTCDateTime()),
    ).where(*where)
    statement = (
        dialects.insert_for(JourneyEntry).from_select(ENTRY_COLUMNS, rows).on_conflict_do_nothing()
    )
    return db.session.execute(statement, execution_options={"preserve_rowcount": True}).rowcount


def day_campaign(journey: Journey, step: JourneyStep, run: JourneyRun, now: datetime) -> Campaign:
    """The campaign calling a run's entrants with the step's settings, launched (planning)."""
    name = f"{journey.name} · {step.name} · {run.day.isoformat()} ({run.zone})"
    campaign = Campaign(
        account_id=step.account_id,
        name=name[:200],
        status=CampaignStatus.PLANNING,
        audience={"kind": "journey", "run_id": run.id},
        launched_at=now,
    )
    for setting, value in step.campaign.items():
        setattr(campaign, setting, value)
    db.session.add(campaign)
    db.session.flush()
    return campaign
