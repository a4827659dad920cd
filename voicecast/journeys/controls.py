"""Pausing, resuming and editing a journey: how each moves the evaluation's cursor.

- Paused: no evaluation; contacts whose moment falls meanwhile have not entered.
- Resumed under `skip`: the cursor moves to now, so only moments from the resume's local day
  on enter; under `catch_up`: it moves at most to `catch_up_days` before now, so the moments
  of the last `catch_up_days` days that nobody evaluated enter on the resume day (late, their
  `moment_on` says when they were due).
- Ended: for good (no evaluation, resume or edit); its campaigns already made go on, its
  runs, entries and reports stay, and contacts held for a seller's recording are given up.
- A step whose trigger (attribute, offset, yearly) changes starts again from the change's local
  day: who entered it already does not enter again, and moments before the change that the
  new trigger would have reached are not caught up. Other changes (name, segment, purpose,
  campaign settings) apply to the next campaigns; campaigns already made keep theirs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from voicecast.journeys import recordings
from voicecast.journeys.models import Journey, JourneyStatus, JourneyStep, MissedPolicy

TRIGGER = ("attribute", "offset_amount", "offset_unit", "yearly")


class NotNow(Exception):
    """The journey's status does not allow this; the message says why."""


def pause(journey: Journey, now: datetime) -> None:
    if journey.status != JourneyStatus.ACTIVE:
        raise NotNow(f"The journey is {journey.status.value}; only an active one pauses.")
    journey.status, journey.paused_at = JourneyStatus.PAUSED, now


def resume(journey: Journey, now: datetime) -> None:
    if journey.status != JourneyStatus.PAUSED:
        raise NotNow(f"The journey is {journey.status.value}; only a paused one resumes.")
    if journey.missed_policy == MissedPolicy.SKIP:
        journey.evaluated_at = now
    else:
        allowance = now - timedelta(days=journey.catch_up_days)
        journey.evaluated_at = max(journey.evaluated_at, allowance)
    journey.status, journey.paused_at = JourneyStatus.ACTIVE, None


def end(journey: Journey, now: datetime) -> None:
    if journey.status == JourneyStatus.ENDED:
        raise NotNow("The journey has ended already.")
    journey.status, journey.paused_at = JourneyStatus.ENDED, None
    recordings.give_up_held(journey.id)


def require_open(journey: Journey) -> None:
    """Refuse a change to an ended journey (NotNow)."""
    if journey.status == JourneyStatus.ENDED:
        raise NotNow("The journey has ended: it no longer changes (its runs and reports stay).")


def edit_step(step: JourneyStep, fields: dict, now: datetime) -> None:
    """Apply `fields` to `step`; a changed trigger takes effect from `now`."""
    changed = any(name in fields and fields[name] != getattr(step, name) for name in TRIGGER)
    for name, value in fields.items():
        setattr(step, name, value)
    if changed:
        step.effective_from = now
