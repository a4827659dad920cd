"""A call's life as the carrier reports it, applied to our attempt and delivery.

Callbacks may arrive twice, late, or out of order: each is applied only if it moves the attempt
forward (by SequenceNumber, and never out of a final state), so replaying any of them changes
nothing. The delivery's outcome is decided once, when its attempt ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from twilio.twiml.voice_response import VoiceResponse

from voicecast.extensions import db
from voicecast.media.signing import media_url
from voicecast.models import (
    Attempt,
    AttemptState,
    Delivery,
    DeliveryStatus,
    Purpose,
    Recording,
    User,
)
from voicecast.models.base import utcnow
from voicecast.models.campaign import Campaign, HumanPolicy, UnknownPolicy
from voicecast.observability.metrics import CALL_OUTCOMES, count
from voicecast.outbound import events
from voicecast.rules.eligibility import NEVER_PLACED

FINAL_STATES = {
    AttemptState.COMPLETED,
    AttemptState.BUSY,
    AttemptState.NO_ANSWER,
    AttemptState.FAILED,
    AttemptState.CANCELED,
}
PROGRESS = [
    AttemptState.CREATED,
    AttemptState.DIALING,
    AttemptState.QUEUED,
    AttemptState.RINGING,
    AttemptState.IN_PROGRESS,
]
CARRIER_STATES = {
    "queued": AttemptState.QUEUED,
    "initiated": AttemptState.QUEUED,
    "ringing": AttemptState.RINGING,
    "in-progress": AttemptState.IN_PROGRESS,
    "completed": AttemptState.COMPLETED,
    "busy": AttemptState.BUSY,
    "no-answer": AttemptState.NO_ANSWER,
    "failed": AttemptState.FAILED,
    "canceled": AttemptState.CANCELED,
}
MACHINE = {"machine_end_beep", "machine_end_silence", "machine_end_other", "machine_start"}
RETRYABLE_OUTCOMES = {DeliveryStatus.NO_ANSWER, DeliveryStatus.BUSY, DeliveryStatus.FAILED}
# NEVER_PLACED: the outcome of an attempt that never reached the carrier, and the reason of a
# delivery that ran out of NEVER_PLACED_RETRIES.
RETRY_NEVER_PLACED = "retry: the call was never placed"


def states_before(new: AttemptState) -> list[AttemptState]:
    """The states an attempt may be in for `new` to be a move forward."""
    if new in FINAL_STATES:
        return PROGRESS
    return PROGRESS[: PROGRESS.index(new)]


def moves_forward(attempt: Attempt, new: AttemptState) -> bool:
    return attempt.state in states_before(new)


def plays_message(
    answered_by: str, human_policy: HumanPolicy, unknown_policy: UnknownPolicy
) -> bool:
    """Whether the campaign's policies say to play the message to this AMD verdict (a fax
    never hears it)."""
    if answered_by == "human":
        return human_policy in (HumanPolicy.PLAY, HumanPolicy.PLAY_LIVE)
    if answered_by == "unknown":
        return unknown_policy == UnknownPolicy.PLAY
    return answered_by in MACHINE


def play_then_hang_up(url: str | None) -> str:
    """TwiML: play `url` (if any), then hang up."""
    response = VoiceResponse()
    if url:
        response.play(url)
    response.hangup()
    return str(response)


def outcome_of(attempt: Attempt) -> DeliveryStatus:
    if attempt.state == AttemptState.COMPLETED:
        if attempt.answered_by == "human":
            return DeliveryStatus.HUMAN_REACHED
        if attempt.played_recording_id is not None:
            return DeliveryStatus.VOICEMAIL_LEFT
        return DeliveryStatus.FAILED  # a fax, a hang-up before any verdict, or no message
    return {
        AttemptState.BUSY: DeliveryStatus.BUSY,
        AttemptState.NO_ANSWER: DeliveryStatus.NO_ANSWER,
        AttemptState.CANCELED: DeliveryStatus.CANCELED,
    }.get(attempt.state, DeliveryStatus.FAILED)


@dataclass(frozen=True)
class Decision:
    """What becomes of a delivery when one of its attempts ends."""

    status: DeliveryStatus
    reason: str | None
    next_attempt_at: datetime | None = None


def retry_delay(attempts_made: int, retry_delays_seconds: list[int] | None) -> timedelta:
    """The wait after attempt number `attempts_made` before the next: the campaign's delays in
    turn, the last repeating (an hour when it has none)."""
    delays = retry_delays_seconds or [3600]
    return timedelta(seconds=delays[min(attempts_made - 1, len(delays) - 1)])


def decide(
    outcome: DeliveryStatus,
    permanent: bool,
    attempts_made: int,
    max_attempts: int,
    retry_delays_seconds: list[int] | None,
) -> Decision:
    """Final, or due again after the retry delay (while attempts remain and it may help)."""
    if outcome in RETRYABLE_OUTCOMES and not permanent and attempts_made < max_attempts:
        delay = retry_delay(attempts_made, retry_delays_seconds)
        return Decision(DeliveryStatus.PENDING, f"retry after {outcome.value}", utcnow() + delay)
    reason = None if outcome == DeliveryStatus.VOICEMAIL_LEFT else outcome.value
    return Decision(outcome, reason)


def settle(attempt: Attempt, delivery: Delivery, campaign: Campaign, permanent: bool) -> None:
    """The attempt ended: record its outcome and decide the delivery: final, or a retry."""
    outcome = outcome_of(attempt)
    count(CALL_OUTCOMES, outcome.value)
    attempt.outcome = outcome.value
    attempt.ended_at = attempt.ended_at or utcnow()
    if delivery.status != DeliveryStatus.DIALING:
        return  # already decided (a duplicate or a late report)
    decision = decide(
        outcome,
        permanent,
        delivery.attempt_count,
        campaign.max_attempts,
        campaign.retry_delays_seconds,
    )
    delivery.status, delivery.reason = decision.status, decision.reason
    if decision.next_attempt_at is not None:
        delivery.next_attempt_at = decision.next_attempt_at
    if decision.status.final:
        events.delivery_finished(delivery)


def settle_never_placed(attempt: Attempt, delivery: Delivery, retries: int) -> bool:
    """The attempt never reached the carrier: it is no attempt (it leaves `attempt_count`, and
    the attempt cap skips its outcome), and the delivery is due again at once, until it has
    had `retries` such retries: then it fails with its own reason. True when it is to be
    dialed again. Does not commit."""
    attempt.state, attempt.outcome = AttemptState.FAILED, NEVER_PLACED
    attempt.ended_at = attempt.ended_at or utcnow()
    if delivery.status != DeliveryStatus.DIALING:
        return False  # already decided (a duplicate or a late report)
    delivery.attempt_count -= 1
    delivery.unplaced_count += 1
    if delivery.unplaced_count <= retries:
        delivery.status, delivery.reason = DeliveryStatus.PENDING, RETRY_NEVER_PLACED
        delivery.next_attempt_at = utcnow()
        return True
    delivery.status, delivery.reason = DeliveryStatus.FAILED, NEVER_PLACED
    events.delivery_finished(delivery)
    return False


def apply_carrier_status(
    attempt: Attempt, status: str, sequence: int | None, error_code: int | None = None
) -> bool:
    """Apply one status report; False when it is stale or a duplicate. Does not commit."""
    new = CARRIER_STATES.get(status)
    if new is None:
        return False
    if sequence is not None:
        if sequence <= attempt.last_sequence:
            return False
        attempt.last_sequence = sequence
    if not moves_forward(attempt, new):
        return False
    attempt.state = new
    if error_code:
        attempt.error_code = error_code
    if new in FINAL_STATES:
        delivery = db.session.get(Delivery, attempt.delivery_id)
        campaign = db.session.get(Campaign, attempt.campaign_id)
        settle(attempt, delivery, campaign, permanent=False)
    return True


def answer_twiml(attempt: Attempt, answered_by: str) -> str:
    """What the call does once answering-machine detection has decided."""
    attempt.answered_by = attempt.answered_by or answered_by
    campaign = db.session.get(Campaign, attempt.campaign_id)
    delivery = db.session.get(Delivery, attempt.delivery_id)
    play = plays_message(answered_by, campaign.human_policy, campaign.unknown_policy)
    if answered_by == "human" and campaign.human_policy == HumanPolicy.CONNECT:
        seller = db.session.get(User, delivery.seller_id) if delivery.seller_id else None
        if seller is not None and seller.phone:
            response = VoiceResponse()
            response.dial(seller.phone)
            return str(response)
        play = True  # nobody to connect to: leave the message rather than hang up on them
    recording = message_for(
        delivery, live=answered_by == "human" and campaign.human_policy == HumanPolicy.PLAY_LIVE
    )
    if not play or recording is None:
        return play_then_hang_up(None)
    attempt.played_recording_id = recording.id
    return play_then_hang_up(media_url(recording, "carrier"))


def message_for(delivery: Delivery, live: bool) -> Recording | None:
    """The recording this delivery plays: the seller's "live" variant when asked and present."""
    if live and delivery.seller_id is not None:
        stmt = select(Recording).where(
            Recording.seller_id == delivery.seller_id,
            Recording.purpose == Purpose.LIVE,
            Recording.active.is_(True),
        )
        variant = db.session.scalar(stmt)
        if variant is not None:
            return variant
    return db.session.get(Recording, delivery.recording_id) if delivery.recording_id else None
