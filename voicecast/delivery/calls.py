"""A call's life as the carrier reports it, applied to our attempt and delivery through the
ORM (the reconciler, the dial job's rarer cases, the AMD verdicts that need the seller), and
the TwiML a call is answered with.

The rules are `attempt_states`' (which the fast path `reports` reads too): callbacks may arrive
twice, late, or out of order, each is applied only if it moves the attempt forward, so
replaying any of them changes nothing; the delivery's outcome is decided once, when its
attempt ends.
"""

from __future__ import annotations

from sqlalchemy import select
from twilio.twiml.voice_response import VoiceResponse

from voicecast.delivery import attempt_states
from voicecast.delivery.attempt_states import CARRIER_STATES, FINAL_STATES, decide, outcome_of
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

MACHINE = attempt_states.MACHINE
# NEVER_PLACED: the outcome of an attempt that never reached the carrier, and the reason of a
# delivery that ran out of NEVER_PLACED_RETRIES.
RETRY_NEVER_PLACED = "retry: the call was never placed"


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


def settle(attempt: Attempt, delivery: Delivery, campaign: Campaign, permanent: bool) -> None:
    """The attempt ended: record its outcome and decide the delivery: final, or a retry."""
    played = attempt.played_recording_id
    recording = db.session.get(Recording, played) if played is not None else None
    outcome = outcome_of(
        attempt.state, attempt.answered_by, played, attempt.call_duration,
        attempt.detection_ms, recording.duration_seconds if recording else None,
    )  # fmt: skip
    count(CALL_OUTCOMES, outcome.value)
    attempt.outcome = outcome.value
    attempt.ended_at = attempt.ended_at or utcnow()
    if delivery.status != attempt_states.DELIVERY_IN_FLIGHT:
        return  # already decided (a duplicate or a late report)
    decision = decide(
        outcome,
        permanent,
        delivery.attempt_count,
        campaign.max_attempts,
        campaign.retry_delays_seconds,
        attempt.answered_by,
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
    attempt_states.advance(attempt, AttemptState.FAILED)
    attempt.outcome = NEVER_PLACED
    attempt.ended_at = attempt.ended_at or utcnow()
    if delivery.status != attempt_states.DELIVERY_IN_FLIGHT:
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
    attempt: Attempt,
    status: str,
    sequence: int | None,
    error_code: int | None = None,
    duration: int | None = None,
) -> bool:
    """Apply one status report (`attempt_states.report_applies`, with the call's duration
    when it ended), and settle the delivery when it ends the attempt; False when it is stale,
    a duplicate or not a state. Does not commit."""
    new = CARRIER_STATES.get(status)
    if new is None or not attempt_states.apply_report(attempt, new, sequence, error_code):
        return False
    if duration is not None and attempt.call_duration is None:
        attempt.call_duration = duration
    if new in FINAL_STATES:
        delivery = db.session.get(Delivery, attempt.delivery_id)
        campaign = db.session.get(Campaign, attempt.campaign_id)
        settle(attempt, delivery, campaign, permanent=False)
    return True


def answer_twiml(attempt: Attempt, answered_by: str) -> str:
    """What the call does once answering-machine detection has decided."""
    campaign = db.session.get(Campaign, attempt.campaign_id)
    delivery = db.session.get(Delivery, attempt.delivery_id)
    play = plays_message(answered_by, campaign.human_policy, campaign.unknown_policy)
    if answered_by == "human" and campaign.human_policy == HumanPolicy.CONNECT:
        seller = db.session.get(User, delivery.seller_id) if delivery.seller_id else None
        if seller is not None and seller.phone:
            attempt_states.record_answer(attempt, answered_by, None)
            response = VoiceResponse()
            response.dial(seller.phone)
            return str(response)
        play = True  # nobody to connect to: leave the message rather than hang up on them
    recording = message_for(
        delivery, live=answered_by == "human" and campaign.human_policy == HumanPolicy.PLAY_LIVE
    )
    if not play or recording is None:
        attempt_states.record_answer(attempt, answered_by, None)
        return play_then_hang_up(None)
    attempt_states.record_answer(attempt, answered_by, recording.id)
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
