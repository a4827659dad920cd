"""A journey step's own message, per seller: which one a step's day plays, and the entries held
while their seller has not recorded it (issue 21, point 2).

A step's campaign plays, for each contact, their seller's recording of that step. When the
seller has none, the step's `recording_policy` decides, here only:
- `fallback`: the seller's general voicemail message is played instead (planning's choice,
  `seller_message`);
- `wait`: the contact's entry is held (`recording_wait` waiting, with `wait_until`) and is in
  no campaign; each evaluation releases the held entries whose seller has recorded the step
  since (they become a later run's campaign, on the day it is made) and gives up those whose
  RECORDING_WAIT_DAYS have passed (never called for that step, the reason kept).
A contact without an active seller is never held: planning excludes them with its own reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update

from voicecast.extensions import db
from voicecast.journeys.models import (
    Journey,
    JourneyEntry,
    JourneyRun,
    JourneyStep,
    RecordingPolicy,
    RecordingWait,
)
from voicecast.models import Campaign, Contact, Purpose, Recording, User
from voicecast.models.campaign import MessagePolicy

# How long an entry waits for its seller's recording of the step: a moment's message a week
# late still fits the moment (the first weekend with the car, a service due); later, it does not.
RECORDING_WAIT_DAYS = 7


def per_seller(step: JourneyStep) -> bool:
    """Whether the step's campaigns play each seller's own message (else one chosen for all:
    no seller is asked to record the step)."""
    policy = step.campaign.get("message_policy", MessagePolicy.PER_SELLER.value)
    return policy == MessagePolicy.PER_SELLER.value


def step_recording(step_id: int, seller_id) -> ColumnElement:
    """The seller's active recording of the step (`seller_id`: a value or a column to
    correlate with), as a scalar subquery: None when there is none."""
    return (
        select(Recording.id)
        .where(
            Recording.seller_id == seller_id,
            Recording.purpose == Purpose.JOURNEY_STEP,
            Recording.step_id == step_id,
            Recording.active.is_(True),
        )
        .limit(1)
        .scalar_subquery()
    )


def journey_step_of(campaign: Campaign) -> JourneyStep | None:
    """The step whose day `campaign` calls (None: not a journey's campaign)."""
    if campaign.audience.get("kind") != "journey":
        return None
    run = db.session.get(JourneyRun, campaign.audience["run_id"])
    return db.session.get(JourneyStep, run.step_id) if run is not None else None


def seller_message(campaign: Campaign, seller_id, general_id: ColumnElement) -> ColumnElement:
    """What planning gives each contact of a per-seller campaign to play: their seller's
    general message, or for a journey step's day the step's own, else by the step's policy
    (`general_id`, `seller_id`: planning's columns). None (excluded, no recording) under
    `wait`, which only a recording deleted since the entry's release meets."""
    step = journey_step_of(campaign)
    if step is None:
        return general_id
    own = step_recording(step.id, seller_id)
    if step.recording_policy == RecordingPolicy.FALLBACK:
        return func.coalesce(own, general_id)
    return own


def not_held() -> ColumnElement[bool]:
    """Entries a run's campaign calls: never held, or released (into the run they now name)."""
    return or_(
        JourneyEntry.recording_wait.is_(None),
        JourneyEntry.recording_wait == RecordingWait.RELEASED,
    )


def lacks_recording(step: JourneyStep) -> ColumnElement[bool]:
    """Entries of `step` that its policy holds: their contact's active seller has not recorded
    the step's message (correlated with journey_entries)."""
    recorded = exists().where(
        Recording.seller_id == Contact.seller_id,
        Recording.purpose == Purpose.JOURNEY_STEP,
        Recording.step_id == step.id,
        Recording.active.is_(True),
    )
    return exists().where(
        Contact.id == JourneyEntry.contact_id,
        Contact.account_id == step.account_id,
        User.id == Contact.seller_id,
        User.active.is_(True),
        ~recorded,
    )


def holds(step: JourneyStep) -> bool:
    return step.recording_policy == RecordingPolicy.WAIT and per_seller(step)


def hold_unrecorded(step: JourneyStep, run: JourneyRun, now: datetime) -> int:
    """Hold the run's entries whose seller has not recorded the step, if its policy waits;
    how many. Does not commit."""
    if not holds(step):
        return 0
    statement = (
        update(JourneyEntry)
        .where(JourneyEntry.run_id == run.id, lacks_recording(step))
        .values(
            recording_wait=RecordingWait.WAITING,
            wait_until=now + timedelta(days=RECORDING_WAIT_DAYS),
        )
    )
    return db.session.execute(statement, execution_options={"synchronize_session": False}).rowcount


MakeCampaign = Callable[[Journey, JourneyStep, JourneyRun, datetime], Campaign]


def release_waiting(
    journey: Journey, steps: Sequence[JourneyStep], now: datetime, make_campaign: MakeCampaign
) -> list[int]:
    """Release the journey's held entries that nothing holds any more (the seller recorded the
    step, the policy or the seller changed) into a new run per step and zone with its campaign
    (`make_campaign`, the evaluation's); then give up those past `wait_until`. The campaigns'
    ids. Does not commit: runs in the evaluation's transaction, the journey's row locked."""
    made = []
    for step in steps:
        waiting = and_(
            JourneyEntry.step_id == step.id, JourneyEntry.recording_wait == RecordingWait.WAITING
        )
        free = and_(waiting, ~lacks_recording(step)) if holds(step) else waiting
        for zone, ids in released_by_zone(free).items():
            made.append(release(journey, step, zone, ids, now, make_campaign))
        db.session.execute(
            update(JourneyEntry)
            .where(waiting, JourneyEntry.wait_until <= now)
            .values(recording_wait=RecordingWait.GAVE_UP),
            execution_options={"synchronize_session": False},
        )
    return made


def released_by_zone(condition: ColumnElement[bool]) -> dict[str, list[int]]:
    """The ids of the entries meeting `condition`, by the zone of the run they entered in."""
    rows = db.session.execute(
        select(JourneyRun.zone, JourneyEntry.id)
        .join(JourneyRun, JourneyRun.id == JourneyEntry.run_id)
        .where(condition)
        .order_by(JourneyEntry.id)
    )
    found: dict[str, list[int]] = defaultdict(list)
    for zone, entry_id in rows:
        found[zone].append(entry_id)
    return found


def release(journey: Journey, step: JourneyStep, zone: str, ids: list[int], now: datetime,
            make_campaign: MakeCampaign) -> int:  # fmt: skip
    """A run of the released entries `ids` of `zone`, on its local today, and its campaign."""
    day = now.astimezone(ZoneInfo(zone)).date()
    run = JourneyRun(account_id=step.account_id, step_id=step.id, day=day, zone=zone,
                     entered=len(ids))  # fmt: skip
    db.session.add(run)
    db.session.flush()
    db.session.execute(
        update(JourneyEntry)
        .where(JourneyEntry.id.in_(ids), JourneyEntry.recording_wait == RecordingWait.WAITING)
        .values(recording_wait=RecordingWait.RELEASED, run_id=run.id),
        execution_options={"synchronize_session": False},
    )
    campaign = make_campaign(journey, step, run, now)
    run.campaign_id = campaign.id
    return campaign.id


def give_up_held(journey_id: int) -> int:
    """Give up every entry of the journey's steps still held for a seller's recording (the
    journey ended: they will never be called for their step); how many. Does not commit."""
    steps = select(JourneyStep.id).where(JourneyStep.journey_id == journey_id)
    return db.session.execute(
        update(JourneyEntry)
        .where(
            JourneyEntry.step_id.in_(steps), JourneyEntry.recording_wait == RecordingWait.WAITING
        )
        .values(recording_wait=RecordingWait.GAVE_UP),
        execution_options={"synchronize_session": False},
    ).rowcount
