"""Campaign jobs: plan a launched campaign, run its dispatcher rounds, dial each attempt."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from voicecast.carrier import carrier_client
from voicecast.carrier.errors import CarrierError
from voicecast.delivery import dispatch
from voicecast.delivery.calls import apply_carrier_status, moves_forward, settle
from voicecast.delivery.pacing import take_slot
from voicecast.delivery.planning import plan_deliveries
from voicecast.delivery.reconcile import reconcile_campaign
from voicecast.delivery.window import is_open, next_opening
from voicecast.extensions import db
from voicecast.media.public_urls import public_url
from voicecast.models import Account, Attempt, AttemptState, Delivery, DeliveryStatus
from voicecast.models.base import utcnow
from voicecast.models.campaign import Campaign, CampaignStatus
from voicecast.redis_client import get_redis
from workers.context import job, job_logger

ROUND_SECONDS = 1.0
MAX_IDLE_ROUND = timedelta(seconds=60)


@job
def plan_campaign(campaign_id: int) -> str:
    """Write every delivery of a launched campaign in one statement, then start dispatching."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != CampaignStatus.PLANNING:
        return "nothing to plan"
    added = plan_deliveries(campaign)
    campaign.status = CampaignStatus.RUNNING
    db.session.commit()
    job_logger(__name__).info("campaign %s planned: %s deliveries", campaign_id, added)
    dispatch.request_dispatch(campaign_id)
    return f"planned {added}"


@job
def dispatch_campaign(campaign_id: int) -> str:
    """One dispatcher round (one at a time per campaign, so max_in_flight holds): claim due
    deliveries within the window and limits, queue their dial jobs, finish the campaign when
    nothing is left, and book the next round."""
    lock = get_redis().lock(f"dispatch:lock:{campaign_id}", timeout=30, blocking=False)
    if not lock.acquire():
        dispatch.schedule_round(campaign_id, utcnow() + timedelta(seconds=ROUND_SECONDS))
        return "another round is running"
    try:
        return dispatch_round(campaign_id)
    finally:
        lock.release()


def dispatch_round(campaign_id: int) -> str:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != CampaignStatus.RUNNING:
        return "not running"
    now = utcnow()
    zone = dispatch.account_zone(campaign)
    if not is_open(campaign.calling_window, zone, now):
        dispatch.schedule_round(campaign_id, next_opening(campaign.calling_window, zone, now))
        return "outside the calling window"
    reconcile_campaign(campaign_id, now)
    for attempt_id in dispatch.claim_due(campaign, now, campaign.max_in_flight):
        dispatch.enqueue_dial(attempt_id)
    if dispatch.remaining(campaign_id) == 0:
        campaign.status = CampaignStatus.COMPLETED
        campaign.finished_at = utcnow()
        db.session.commit()
        return "completed"
    dispatch.schedule_round(campaign_id, next_round_at(campaign_id))
    return "dispatched"


def next_round_at(campaign_id: int):
    now = utcnow()
    if dispatch.in_flight(campaign_id):
        return now + timedelta(seconds=ROUND_SECONDS)
    due = dispatch.next_due(campaign_id) or now
    return max(now + timedelta(seconds=ROUND_SECONDS), min(due, now + MAX_IDLE_ROUND))


def locked_attempt(attempt_id: int) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(Attempt.id == attempt_id).with_for_update())


def give_back(attempt: Attempt, delivery: Delivery, campaign: Campaign) -> None:
    """The campaign stopped before this attempt was dialed: it never happened."""
    delivery.attempt_count -= 1
    delivery.status = (
        DeliveryStatus.CANCELED
        if campaign.status == CampaignStatus.CANCELED
        else DeliveryStatus.PENDING
    )
    db.session.delete(attempt)


def wait_for_slot(campaign: Campaign) -> None:
    redis, config = get_redis(), current_app.config
    carrier_key = f"cps:carrier:{config['TWILIO_ACCOUNT_SID']}"
    waits = (
        take_slot(redis, carrier_key, config["TWILIO_CALLS_PER_SECOND"]),
        take_slot(redis, f"cps:campaign:{campaign.id}", campaign.calls_per_second),
    )
    time.sleep(max(waits))


@job
def dial_attempt(attempt_id: int) -> str:
    """Place the call of an attempt recorded by the dispatcher; at most once per attempt."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.state != AttemptState.CREATED:
        return "already dialed"
    delivery = db.session.get(Delivery, attempt.delivery_id)
    campaign = db.session.get(Campaign, attempt.campaign_id)
    if campaign.status != CampaignStatus.RUNNING:
        give_back(locked_attempt(attempt_id), delivery, campaign)
        db.session.commit()
        return "campaign not running"
    caller_id = db.session.get(Account, campaign.account_id).caller_id
    to = delivery.phone
    db.session.commit()  # no transaction held while waiting for a slot
    dispatch.mark_dial_alive(attempt_id)
    wait_for_slot(campaign)
    if not claim_for_dialing(attempt_id):
        return "already dialed"  # a duplicate job (re-queued after Redis was lost) got here first
    try:
        call = carrier_client().place_call(
            to=to,
            from_=caller_id,
            url=public_url("twilio.answer", attempt_id=attempt_id),
            status_callback=public_url("twilio.status", attempt_id=attempt_id),
        )
    except CarrierError as error:
        return dial_failed(attempt_id, error)
    attempt = locked_attempt(attempt_id)
    attempt.call_sid = attempt.call_sid or call.sid
    if moves_forward(attempt, AttemptState.QUEUED):
        apply_carrier_status(attempt, call.status, None)
    db.session.commit()
    return f"dialed {call.sid}"


def claim_for_dialing(attempt_id: int) -> bool:
    """created -> dialing, once: recorded (committed) before the request leaves, so that a
    worker killed during it leaves an attempt the reconciler settles with the carrier."""
    claimed = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt_id, Attempt.state == AttemptState.CREATED)
        .values(state=AttemptState.DIALING, dialed_at=utcnow())
    ).rowcount
    db.session.commit()
    return claimed == 1


def dial_failed(attempt_id: int, error: CarrierError) -> str:
    attempt = locked_attempt(attempt_id)
    if error.retryable and getattr(error, "ambiguous", False):
        db.session.commit()
        raise error  # the call may exist: the reconciler looks it up before any new dial
    attempt.state, attempt.error_code = AttemptState.FAILED, error.code
    delivery = db.session.get(Delivery, attempt.delivery_id)
    settle(
        attempt,
        delivery,
        db.session.get(Campaign, attempt.campaign_id),
        permanent=not error.retryable,
    )
    db.session.commit()
    job_logger(__name__).warning("attempt %s failed at the carrier: %s", attempt_id, error)
    return f"failed: {error.code}"
