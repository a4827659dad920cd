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
from voicecast.media.public_urls import public_url
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


def play_message(url: str | None, attempt_id: int) -> str:
    """TwiML: play the message `url`, then ask `/played` what follows (it hangs up). The
    carrier asks only once the message played to its end while the call was up: that request
    is the proof a voicemail was left (`reports.message_ended`). Without a URL, hang up."""
    if not url:
        return play_then_hang_up(None)
    response = VoiceResponse()
    response.play(url)
    response.redirect(public_url("twilio.message_played", attempt_id=attempt_id), method="POST")
    return str(response)


def settle(
    attempt: Attempt,
    delivery: Delivery,
    campaign: Campaign,
    permanent: bool,
    outcome: DeliveryStatus | None = None,
    reason: str | None = None,
) -> None:
    """The attempt ended: record its outcome (`outcome_of`, unless given) and decide the
    delivery: final, or a retry. An answered call whose verdict has not come waits for it
    (`attempt_states.awaits_verdict`): its end is kept, nothing is decided. `reason`: the
    final delivery's, when the outcome's own says less (the carrier's `invalid_number`)."""
    waits = attempt_states.awaits_verdict(
        attempt.state, attempt.answered_by, attempt.redirecting_since
    )
    if outcome is None and waits:
        attempt.ended_at = attempt.ended_at or utcnow()
        return
    if outcome is None:
        outcome = outcome_of_attempt(attempt)
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
    if reason is not None and decision.status.final:
        delivery.reason = reason
    if decision.next_attempt_at is not None:
        delivery.next_attempt_at = decision.next_attempt_at
    if decision.status.final:
        events.delivery_finished(delivery)


def outcome_of_attempt(attempt: Attempt) -> DeliveryStatus:
    """`attempt_states.outcome_of` for the (ORM) attempt."""
    ended = attempt.message_ended_at is not None
    return outcome_of(attempt.state, attempt.answered_by, attempt.played_recording_id, ended)


def settle_without_verdict(attempt: Attempt, carriers_answered_by: str | None) -> None:
    """Settle an answered call whose verdict never reached us, by the verdict the carrier kept
    on the call (`attempt_states.outcome_without_verdict`); the verdict is recorded so that a
    callback coming later still finds it kept. Does not commit."""
    if attempt.answered_by is None and carriers_answered_by:
        attempt_states.record_answer(attempt, carriers_answered_by, None)
    attempt.redirecting_since = None  # its answer never came: the message counts as not started
    outcome = attempt_states.outcome_without_verdict(carriers_answered_by)
    delivery = db.session.get(Delivery, attempt.delivery_id)
    campaign = db.session.get(Campaign, attempt.campaign_id)
    settle(attempt, delivery, campaign, permanent=False, outcome=outcome)


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


def answer_twiml(attempt: Attempt, answered_by: str, caller: str | None = None) -> str:
    """What the call does once answering-machine detection has decided (`caller`: the number
    the call comes from, which a seller put through sees); a call that ended waiting for this
    verdict is settled by it. Does not commit."""
    twiml = verdict_twiml(attempt, answered_by, caller)
    if attempt.outcome is None and attempt.state == AttemptState.COMPLETED:
        delivery = db.session.get(Delivery, attempt.delivery_id)
        settle(attempt, delivery, db.session.get(Campaign, attempt.campaign_id), False)
    return twiml


def verdict_twiml(attempt: Attempt, answered_by: str, caller: str | None) -> str:
    """`answer_twiml`'s document, the verdict and what it plays recorded."""
    campaign = db.session.get(Campaign, attempt.campaign_id)
    delivery = db.session.get(Delivery, attempt.delivery_id)
    play = plays_message(answered_by, campaign.human_policy, campaign.unknown_policy)
    if answered_by == "human" and campaign.human_policy == HumanPolicy.CONNECT:
        seller = db.session.get(User, delivery.seller_id) if delivery.seller_id else None
        from voicecast.delivery.connect import connect_twiml  # it reads play_then_hang_up

        twiml = connect_twiml(attempt.id, seller.phone if seller else None, caller)
        if twiml is not None:  # put through as under async AMD: caller ID, whisper, action
            attempt_states.record_answer(attempt, answered_by, None)
            return twiml
        play = True  # nobody to connect to: leave the message rather than hang up on them
    recording = message_for(
        delivery, live=answered_by == "human" and campaign.human_policy == HumanPolicy.PLAY_LIVE
    )
    if not play or recording is None:
        attempt_states.record_answer(attempt, answered_by, None)
        return play_then_hang_up(None)
    attempt_states.record_answer(attempt, answered_by, recording.id)
    return play_message(media_url(recording, "carrier"), attempt.id)


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
