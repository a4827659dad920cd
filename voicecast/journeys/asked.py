"""What sellers are asked to record: the general message, and one per step of the account's
active journeys whose campaigns play each seller's own message; and, for the manager, who has
not recorded which step yet (with the entries held meanwhile)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from voicecast.extensions import db
from voicecast.journeys.models import (
    Journey,
    JourneyEntry,
    JourneyStatus,
    JourneyStep,
    RecordingWait,
)
from voicecast.journeys.recordings import per_seller
from voicecast.models import Contact, Purpose, Recording, Role, User


@dataclass
class Message:
    """One message a seller is asked to record (`step` None: the general one)."""

    journey: Journey | None
    step: JourneyStep | None
    current: Recording | None  # the seller's active version

    @property
    def step_id(self) -> int | None:
        return self.step.id if self.step else None


def asked_steps(
    account_id: int, journey_id: int | None = None
) -> list[tuple[Journey, JourneyStep]]:
    """The steps of the account's active journeys (or of `journey_id`, whatever its status)
    that sellers are asked to record, in the journeys' then the steps' order."""
    stmt = (
        select(Journey, JourneyStep)
        .join(JourneyStep, JourneyStep.journey_id == Journey.id)
        .where(Journey.account_id == account_id)
        .order_by(Journey.id, JourneyStep.position)
    )
    if journey_id is None:
        stmt = stmt.where(Journey.status == JourneyStatus.ACTIVE)
    else:
        stmt = stmt.where(Journey.id == journey_id)
    return [(journey, step) for journey, step in db.session.execute(stmt) if per_seller(step)]


def active_recordings(account_id: int, purpose: Purpose) -> dict[tuple[int, int | None], Recording]:
    """The account's active recordings for `purpose`, by (seller, step)."""
    rows = db.session.scalars(
        select(Recording).where(
            Recording.account_id == account_id,
            Recording.purpose == purpose,
            Recording.active.is_(True),
        )
    )
    return {(row.seller_id, row.step_id): row for row in rows}


def seller_messages(seller: User) -> list[Message]:
    """The messages `seller` is asked to record, the general one first."""
    general = active_recordings(seller.account_id, Purpose.VOICEMAIL)
    own = active_recordings(seller.account_id, Purpose.JOURNEY_STEP)
    messages = [Message(None, None, general.get((seller.id, None)))]
    for journey, step in asked_steps(seller.account_id):
        messages.append(Message(journey, step, own.get((seller.id, step.id))))
    return messages


def asked_step(seller: User, step_id: int) -> JourneyStep | None:
    """Step `step_id` if `seller` is asked to record it (else None)."""
    for _journey, step in asked_steps(seller.account_id):
        if step.id == step_id:
            return step
    return None


@dataclass
class Missing:
    """A seller who has not recorded a step, and the entries held for it meanwhile."""

    journey: Journey
    step: JourneyStep
    seller: User
    waiting: int
    wait_until: datetime | None  # the earliest give-up among them
    gave_up: int  # entries never called for the step: no recording came in time


@dataclass
class Held:
    waiting: int = 0
    wait_until: datetime | None = None
    gave_up: int = 0


def held_entries(step_ids: list[int]) -> dict[tuple[int, int], Held]:
    """Entries held for a recording, by (step, seller): how many wait (the earliest limit) and
    how many were given up."""
    rows = db.session.execute(
        select(
            JourneyEntry.step_id,
            Contact.seller_id,
            JourneyEntry.recording_wait,
            func.count(),
            func.min(JourneyEntry.wait_until),
        )
        .join(Contact, Contact.id == JourneyEntry.contact_id)
        .where(
            JourneyEntry.step_id.in_(step_ids),
            JourneyEntry.recording_wait.in_((RecordingWait.WAITING, RecordingWait.GAVE_UP)),
        )
        .group_by(JourneyEntry.step_id, Contact.seller_id, JourneyEntry.recording_wait)
    )
    found: dict[tuple[int, int], Held] = {}
    for step, seller, state, count, until in rows:
        held = found.setdefault((step, seller), Held())
        if state == RecordingWait.WAITING:
            held.waiting, held.wait_until = count, until
        else:
            held.gave_up = count
    return found


def active_sellers(account_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.account_id == account_id, User.role == Role.SELLER, User.active.is_(True))
            .order_by(User.name, User.id)
        )
    )


def missing_recordings(account_id: int, journey_id: int | None = None) -> list[Missing]:
    """Who among the account's active sellers has not recorded which asked step (of the active
    journeys, or of `journey_id`), step by step."""
    steps = asked_steps(account_id, journey_id)
    own = active_recordings(account_id, Purpose.JOURNEY_STEP)
    held = held_entries([step.id for _journey, step in steps])
    sellers = active_sellers(account_id)
    found = []
    for journey, step in steps:
        for seller in sellers:
            if (seller.id, step.id) not in own:
                gap = held.get((step.id, seller.id), Held())
                found.append(
                    Missing(journey, step, seller, gap.waiting, gap.wait_until, gap.gave_up)
                )
    return found
