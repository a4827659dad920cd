"""A journey, its steps, and who entered which step when (once, by the unique constraint)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from voicecast.extensions import db
from voicecast.models.base import Timestamps, UTCDateTime, enum_column, utcnow


class JourneyStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    # For good: never evaluated, resumed or edited again; kept with its runs, entries and
    # campaigns for the reports (a journey is ended, never deleted).
    ENDED = "ended"


class MissedPolicy(enum.StrEnum):
    """What a resumed journey does with the moments that fell while it was paused."""

    SKIP = "skip"  # they are gone: only moments from the resume day on enter
    CATCH_UP = "catch_up"  # those of the last `catch_up_days` days enter on the resume day


class RecordingPolicy(enum.StrEnum):
    """What a step's day does for a contact whose seller has not recorded the step's message
    (`voicecast.journeys.recordings` applies it)."""

    # The entry waits (its reason shown to the manager) until the seller records the step's
    # message, RECORDING_WAIT_DAYS at most; then it is given up, with that reason.
    WAIT = "wait"
    FALLBACK = "fallback"  # the seller's general message is played instead


class RecordingWait(enum.StrEnum):
    """An entry held for its seller's recording of the step: states move forward only."""

    WAITING = "waiting"
    RELEASED = "released"  # the recording came: the entry went into a later run's campaign
    GAVE_UP = "gave_up"  # none came within RECORDING_WAIT_DAYS: never called for this step


class OffsetUnit(enum.StrEnum):
    DAYS = "days"
    MONTHS = "months"
    YEARS = "years"


class Journey(Timestamps, db.Model):
    """An account's journey: steps evaluated every day while it is active."""

    __tablename__ = "journeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[JourneyStatus] = mapped_column(enum_column(JourneyStatus))
    missed_policy: Mapped[MissedPolicy] = mapped_column(enum_column(MissedPolicy))
    catch_up_days: Mapped[int] = mapped_column(Integer)
    # The evaluation's cursor: each zone's local day of this instant and the days after it are
    # still to evaluate (that day itself again, harmlessly: a nightly feed may come after it).
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JourneyStep(Timestamps, db.Model):
    """A moment: contacts whose `attribute` (an ISO date) plus the offset is their local today
    enter the step, and the day's entrants are a campaign with the step's settings."""

    __tablename__ = "journey_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    attribute: Mapped[str] = mapped_column(String(100))
    offset_amount: Mapped[int] = mapped_column(Integer)
    offset_unit: Mapped[OffsetUnit] = mapped_column(enum_column(OffsetUnit))
    # Every year on the date's anniversary (a birthday), not once.
    yearly: Mapped[bool] = mapped_column(Boolean, default=False)
    # No foreign key: a step whose segment was deleted lets nobody in (as a campaign's
    # audience), where SET NULL would have let everyone in.
    segment_id: Mapped[int | None] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(50))
    # What the seller reads as a prompt on their recording page when recording the step's
    # message (None: the purpose and the step's name only).
    script: Mapped[str | None] = mapped_column(String(2000))
    recording_policy: Mapped[RecordingPolicy] = mapped_column(
        enum_column(RecordingPolicy),
        default=RecordingPolicy.FALLBACK,
        server_default=RecordingPolicy.FALLBACK.value,
    )
    # The settings of the campaigns it makes (api.campaign_schemas.CampaignFields, as JSON).
    campaign: Mapped[dict[str, Any]] = mapped_column(JSON)
    # When its trigger last changed: moments of earlier local days are not evaluated.
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JourneyRun(db.Model):
    """One evaluation's entrants of a step in one time zone, and the campaign that calls them
    (usually one per step, local day and zone; a feed arriving later that day adds another)."""

    __tablename__ = "journey_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer)
    step_id: Mapped[int] = mapped_column(ForeignKey("journey_steps.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    zone: Mapped[str] = mapped_column(String(64))
    entered: Mapped[int] = mapped_column(Integer)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JourneyEntry(db.Model):
    """A contact entered a step: once (`occurrence` 0), or once a year for a yearly step
    (`occurrence`: the moment's year). No foreign key to contacts, as deliveries: a trigger
    per inserted row would cost the daily evaluation."""

    __tablename__ = "journey_entries"
    __table_args__ = (
        UniqueConstraint(
            "step_id", "contact_id", "occurrence", name="uq_journey_entries_step_contact"
        ),
        Index("ix_journey_entries_run", "run_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer)
    step_id: Mapped[int] = mapped_column(ForeignKey("journey_steps.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(Integer)
    occurrence: Mapped[int] = mapped_column(Integer)
    moment_on: Mapped[date] = mapped_column(Date)
    entered_on: Mapped[date] = mapped_column(Date)
    run_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Held for the seller's recording of the step (policy `wait`); None: never held. A held
    # entry is in no campaign's audience until RELEASED (then `run_id` is the later run's).
    recording_wait: Mapped[RecordingWait | None] = mapped_column(enum_column(RecordingWait))
    wait_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


Index("ix_journeys_account_status", Journey.account_id, Journey.status)
Index("ix_journey_steps_journey", JourneyStep.journey_id, JourneyStep.position)
Index("ix_journey_runs_step_day", JourneyRun.step_id, JourneyRun.day)
# The held entries each evaluation looks at (few: most entries are never held).
Index(
    "ix_journey_entries_waiting",
    JourneyEntry.step_id,
    postgresql_where=text("recording_wait = 'waiting'"),
    sqlite_where=text("recording_wait = 'waiting'"),
)
