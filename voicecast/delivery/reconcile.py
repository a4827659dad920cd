"""Settling attempts the webhooks did not: the carrier is asked, never guessed at.

- `created` for long: its dial job was lost (Redis emptied): queue it again (it dials once).
- `dialing` for long (RECONCILE_UNSURE_SECONDS), or as soon as its dial job is dead and its
  request over (`unsure`): the worker died or the request timed out between the carrier
  taking the call and our recording its sid. Look the call up by number since just before the dial:
  adopt it if it exists, else the call was never placed: no attempt was made, and the delivery
  is due again at once (within NEVER_PLACED_RETRIES).
- queued/ringing/in progress for long: callbacks were lost (e.g. a queued call canceled, which
  fires none): fetch the call and apply its status.
- answered and ended, its AMD verdict still to come after RECONCILE_VERDICT_SECONDS (the
  carrier sends it once, and may not at all): fetch the call and settle the attempt by the
  verdict the carrier kept on it (`calls.settle_without_verdict`). So does a silent call found
  ended without its verdict, and a call whose verdict's redirect never had the carrier's
  answer (the message then counts as not started).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select

from voicecast import dialects
from voicecast.carrier import carrier_client
from voicecast.carrier.client import CallRef
from voicecast.delivery import attempt_states
from voicecast.delivery.attempt_states import IN_CALL
from voicecast.delivery.calls import (
    apply_carrier_status,
    settle_never_placed,
    settle_without_verdict,
)
from voicecast.delivery.dispatch import dial_alive_after_slot, dial_job_lost, enqueue_dials
from voicecast.extensions import db
from voicecast.models import Attempt, AttemptState, Delivery
from voicecast.models.base import utcnow

# The carrier's clock and ours may differ: a look-up by number starts this much earlier.
CLOCK_MARGIN = timedelta(seconds=30)


def stale(campaign_id: int, states: tuple[AttemptState, ...], column, before: datetime):
    stmt = select(Attempt).where(
        Attempt.campaign_id == campaign_id, Attempt.state.in_(states), column < before
    )
    return list(db.session.scalars(dialects.skip_locked(stmt)))


def reconcile_campaign(campaign_id: int, now: datetime | None = None) -> dict[str, int]:
    """Settle the campaign's stuck attempts; returns what was done, by kind. Commits."""
    now = now or utcnow()
    config = current_app.config
    lost_job_after = timedelta(seconds=config["RECONCILE_LOST_JOB_SECONDS"])
    unsure_after = timedelta(seconds=config["RECONCILE_UNSURE_SECONDS"])
    silent_after = timedelta(seconds=config["RECONCILE_SILENT_SECONDS"])
    verdict_after = timedelta(seconds=config["RECONCILE_VERDICT_SECONDS"])
    done = {"requeued": 0, "adopted": 0, "never_placed": 0, "fetched": 0, "verdicts": 0}
    lost = [
        attempt.id
        for attempt in stale(
            campaign_id, (attempt_states.FIRST_STATE,), Attempt.created_at, now - lost_job_after
        )
        if dial_job_lost(attempt.id)
    ]
    enqueue_dials(lost)
    done["requeued"] = len(lost)
    for attempt in unsure(campaign_id, now, unsure_after):
        done["adopted" if settle_unsure(attempt) else "never_placed"] += 1
    for attempt in stale(campaign_id, IN_CALL, Attempt.dialed_at, now - silent_after):
        apply_call(attempt, carrier_client().fetch_call(attempt.call_sid))
        done["fetched"] += 1
    for attempt in awaiting_verdict(campaign_id, now - verdict_after):
        call = carrier_client().fetch_call(attempt.call_sid) if attempt.call_sid else None
        settle_without_verdict(attempt, call.answered_by if call else None)
        done["verdicts"] += 1
    db.session.commit()
    return done


def apply_call(attempt: Attempt, call: CallRef) -> None:
    """The carrier's account of the call applied to the attempt: its status, and, for a call
    that ended answered without our verdict, the carrier's verdict (it is over, none will
    come that the carrier does not already know)."""
    apply_carrier_status(attempt, call.status, None, None, call.duration)
    waiting = attempt_states.awaits_verdict(attempt.state, attempt.answered_by)
    if waiting and attempt.outcome is None:
        settle_without_verdict(attempt, call.answered_by)


def awaiting_verdict(campaign_id: int, ended_before: datetime) -> list[Attempt]:
    """The campaign's answered calls that ended before `ended_before` with no verdict, or with
    their verdict's redirect still awaiting the carrier's answer (its web node died). Read
    through the deliveries still in flight (few, and indexed), never the campaign's ended
    attempts (as many as its calls)."""
    stmt = (
        select(Attempt)
        .join(Delivery, Delivery.id == Attempt.delivery_id)
        .where(
            Delivery.campaign_id == campaign_id,
            Delivery.status == attempt_states.DELIVERY_IN_FLIGHT,
            Attempt.state == AttemptState.COMPLETED,
            Attempt.outcome.is_(None),
            or_(Attempt.answered_by.is_(None), Attempt.redirecting_since.is_not(None)),
            Attempt.ended_at < ended_before,
        )
    )
    return list(db.session.scalars(dialects.skip_locked(stmt)))


def unsure(campaign_id: int, now: datetime, unsure_after: timedelta) -> list[Attempt]:
    """The attempts left `dialing` whose request is over, so the carrier can say whether it
    took the call: those dialed `unsure_after` ago, and, sooner, those whose dial job is dead
    (killed, or failed on the request) once the longest a request can take has passed: a
    killed worker's attempt need not wait out RECONCILE_UNSURE_SECONDS (issue 16's chaos
    acceptance: nothing left dialing longer than twice that)."""
    request_over = timedelta(
        seconds=dial_alive_after_slot(current_app.config["TWILIO_HTTP_TIMEOUT"])
    )
    claimed = (attempt_states.CLAIMED_STATE,)
    candidates = stale(
        campaign_id, claimed, Attempt.dialed_at, now - min(request_over, unsure_after)
    )
    return [
        attempt
        for attempt in candidates
        if attempt.dialed_at < now - unsure_after or dial_job_lost(attempt.id)
    ]


def settle_unsure(attempt: Attempt) -> bool:
    """Adopt the carrier's call for this attempt if it exists; True if it did."""
    delivery = db.session.get(Delivery, attempt.delivery_id)
    known = set(
        db.session.scalars(
            select(Attempt.call_sid).where(
                Attempt.delivery_id == delivery.id,
                Attempt.id != attempt.id,  # a callback may have told us this one's sid
                Attempt.call_sid.is_not(None),
            )
        )
    )
    calls = carrier_client().find_calls(delivery.phone, attempt.dialed_at - CLOCK_MARGIN)
    unclaimed = [call for call in calls if call.sid not in known]
    if unclaimed:
        call = unclaimed[0]
        attempt.call_sid = call.sid
        attempt_states.advance(attempt, AttemptState.QUEUED)
        apply_call(attempt, call)
        return True
    # The carrier never got it: nobody was called, so it was no attempt.
    settle_never_placed(attempt, delivery, current_app.config["NEVER_PLACED_RETRIES"])
    return False
