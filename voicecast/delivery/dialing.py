"""Dialing: place the calls of a batch of attempts recorded by the dispatcher (the body of the
dial job, `workers.dialing.dial_attempts`).

Each attempt is dialed at most once: it moves `created -> dialing` in a committed statement
before its request leaves (and only while its campaign runs), so a worker killed mid-request
leaves an attempt the reconciler settles with the carrier, and a duplicate job finds nothing to
claim. Dialing is the busiest path after the webhooks: its statements are built once, the batch
is read in one query, and a call costs one Redis round trip, two short transactions of
statements straight on the driver (`voicecast.driver_sql`: the claim, and the carrier's answer
applied as a status report) and the carrier request.
"""

from __future__ import annotations

import time
from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, case, func, select

from voicecast.carrier import carrier_client
from voicecast.carrier.errors import NUMBER_REASONS, CarrierError
from voicecast.delivery import amd, attempt_states, claim, dispatch, reports
from voicecast.delivery.attempt_states import CARRIER_STATES
from voicecast.delivery.calls import settle, settle_never_placed
from voicecast.delivery.pacing import take_slot, wait_for_admission
from voicecast.extensions import db
from voicecast.media.public_urls import public_url
from voicecast.models import Account, Attempt, AttemptState, Delivery, DeliveryStatus, PhoneNumber
from voicecast.models.base import utcnow
from voicecast.models.campaign import CallerIdPolicy, Campaign, CampaignStatus
from voicecast.observability.logs import job_logger
from voicecast.observability.metrics import CALLS_PLACED, RATE_LIMIT_WAIT, count, observe
from voicecast.outbound import events
from voicecast.redis_client import get_redis
from voicecast.rules.eligibility import CALLING, verdicts
from voicecast.rules.presets import Preset, account_rules
from voicecast.rules.schedule import Schedule

ATTEMPTS = Attempt.__table__
# The driver statements, built once: each call only binds its values.
DIAL_PLANS = (
    select(
        ATTEMPTS.c.id,
        ATTEMPTS.c.state,
        ATTEMPTS.c.campaign_id,
        Delivery.phone,
        Campaign.calls_per_second,
        Campaign.calling_window,
        # The seller's own callback line when the campaign presents sellers' lines, else the
        # account's number.
        func.coalesce(
            case((Campaign.caller_id_policy == CallerIdPolicy.SELLER, PhoneNumber.number)),
            Account.caller_id,
        ).label("caller_id"),
        Account.calling_rules,
        Account.calling_rules_changes,
        func.coalesce(Delivery.timezone, Account.timezone).label("timezone"),
        Delivery.alt_timezone,
        Delivery.regions,
    )
    .join(Delivery, Delivery.id == ATTEMPTS.c.delivery_id)
    .join(Campaign, Campaign.id == ATTEMPTS.c.campaign_id)
    .join(Account, Account.id == Campaign.account_id)
    .outerjoin(PhoneNumber, PhoneNumber.seller_id == Delivery.seller_id)
    .where(ATTEMPTS.c.id.in_(bindparam("attempt_ids", expanding=True)))
)


def place_calls(attempt_ids: list[int], job_id: str | None = None) -> str:
    """Place the calls of `attempt_ids`, one after the other at the pace allowed, for the dial
    job `job_id` (by default the one `dispatch.enqueue_dials` named)."""
    job_id = job_id or dispatch.dial_job_id(attempt_ids[0])
    plans = {row.id: row for row in db.session.execute(DIAL_PLANS, {"attempt_ids": attempt_ids})}
    db.session.commit()  # no transaction held while waiting for slots
    results, unsure = [], []
    for attempt_id in attempt_ids:
        plan = plans.get(attempt_id)
        if plan is None or plan.state != attempt_states.FIRST_STATE:
            results.append(f"{attempt_id}: already dialed")
            continue
        limits = pace_limits(plan.campaign_id, plan.calls_per_second)
        wait_for_slot(job_id, limits)
        try:
            results.append(f"{attempt_id}: {dial(attempt_id, plan, limits)}")
        except CarrierError as error:  # the call may exist: the reconciler will look it up
            unsure.append(error)
            results.append(f"{attempt_id}: unsure ({error})")
    if unsure:
        raise unsure[0]  # after the rest of the batch: the job is failed for all to see
    return "; ".join(results)


def pace_limits(campaign_id: int, calls_per_second: float) -> list[tuple[str, float]]:
    """The calls-per-second limits a call is placed under: the carrier account's, shared by
    every campaign, and the campaign's own."""
    config = current_app.config
    return [
        (f"cps:carrier:{config['TWILIO_ACCOUNT_SID']}", config["TWILIO_CALLS_PER_SECOND"]),
        (f"cps:campaign:{campaign_id}", calls_per_second),
    ]


def wait_for_slot(job_id: str, limits: list[tuple[str, float]]) -> None:
    """Say the job is alive, then take the call's start slot under `limits` and wait for it."""
    alive = dispatch.dial_alive_key(job_id)
    after = dispatch.dial_alive_after_slot(current_app.config["TWILIO_HTTP_TIMEOUT"])
    wait = take_slot(get_redis(), limits, alive_key=alive, alive_seconds=after)
    observe(RATE_LIMIT_WAIT, max(wait, 0.0), "slot")
    time.sleep(wait)


def dial(attempt_id: int, plan, limits: list[tuple[str, float]]) -> str:
    preset = account_rules(plan.calling_rules, plan.calling_rules_changes)
    now = utcnow()
    if not window_open(plan, preset, now):
        return outside_hours(attempt_id)  # the window closed since the dispatcher's round
    if not claim.claim(attempt_id, preset, now):
        return not_claimed(attempt_id, preset, now)
    # Last before the request, so that a slow commit above cannot bunch calls at the carrier.
    waited = wait_for_admission(get_redis(), limits, str(attempt_id))
    observe(RATE_LIMIT_WAIT, waited, "window")
    try:
        call = carrier_client().place_call(
            to=plan.phone,
            from_=plan.caller_id,
            url=public_url("twilio.answer", attempt_id=attempt_id),
            status_callback=public_url("twilio.status", attempt_id=attempt_id),
            **amd.dial_options(attempt_id, plan.caller_id),
        )
    except CarrierError as error:
        return dial_failed(attempt_id, error)
    record_call(attempt_id, call.sid, call.status)
    count(CALLS_PLACED)
    return f"dialed {call.sid}"


def window_open(plan, preset: Preset | None, now: datetime) -> bool:
    """The campaign's calling window, narrowed by `preset` and the rules of the contact's
    states, is open at `now` in the contact's zone and in its second one if it has one (the
    dispatcher's round checked it too, a moment ago)."""
    schedule = Schedule.of(plan.calling_window, preset).for_regions(plan.regions)
    return schedule.closed_in((plan.timezone, plan.alt_timezone), now) is None


def locked_attempt(attempt_id: int) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(Attempt.id == attempt_id).with_for_update())


def outside_hours(attempt_id: int) -> str:
    """The calling window closed between the claim and the dial: the attempt never happened,
    its delivery waits for the dispatcher's round at the next opening. Commits."""
    attempt = locked_attempt(attempt_id)
    if attempt is None or attempt.state != attempt_states.FIRST_STATE:
        db.session.commit()
        return "already dialed"
    delivery = db.session.get(Delivery, attempt.delivery_id)
    forget_attempt(attempt, delivery, DeliveryStatus.PENDING, delivery.reason)
    return "not dialed: outside calling hours"


def not_claimed(attempt_id: int, preset: Preset | None, now: datetime) -> str:
    """Why an attempt could not be claimed: dialed already (a duplicate job got there first),
    the rules or the do-not-call list hold its number back, or its campaign stopped; in all but
    the first case the attempt never happened. Commits."""
    attempt = locked_attempt(attempt_id)
    campaign = db.session.get(Campaign, attempt.campaign_id) if attempt else None
    if attempt is None or attempt.state != attempt_states.FIRST_STATE or campaign is None:
        db.session.commit()
        return "already dialed"
    delivery = db.session.get(Delivery, attempt.delivery_id)
    verdict = verdicts(delivery.account_id, preset, [delivery.id], now).get(delivery.id)
    if verdict is not None:
        status = DeliveryStatus.EXCLUDED if verdict.until is None else DeliveryStatus.PENDING
        delivery.next_attempt_at = verdict.until or delivery.next_attempt_at
        return f"not dialed: {forget_attempt(attempt, delivery, status, verdict.reason)}"
    if campaign.status == CALLING:
        db.session.commit()
        return "not claimed; left for the reconciler"
    if campaign.status == CampaignStatus.CANCELED:
        forget_attempt(attempt, delivery, DeliveryStatus.CANCELED, delivery.reason)
    else:
        forget_attempt(attempt, delivery, DeliveryStatus.PENDING, delivery.reason)
    return f"campaign {campaign.status.value}"


def forget_attempt(
    attempt: Attempt, delivery: Delivery, status: DeliveryStatus, reason: str | None
) -> str:
    """The attempt never happened: remove it, and leave its delivery in `status`. Commits."""
    delivery.attempt_count -= 1
    delivery.status, delivery.reason = status, reason
    if status.final:
        events.delivery_finished(delivery)
    db.session.delete(attempt)
    db.session.commit()
    return reason or status.value


def record_call(attempt_id: int, sid: str, status: str) -> None:
    """The carrier took the call: keep its sid (a callback may have done so already) and the
    state its answer reports (one it does not name: queued), exactly as a status report
    without a SequenceNumber would (`reports.apply_status_report`: callbacks may have moved
    the attempt on already, or the call may have ended at once). Commits."""
    reported = status if status in CARRIER_STATES else AttemptState.QUEUED.value
    _, ended_campaign = reports.apply_status_report(attempt_id, reported, None, None, sid)
    if ended_campaign is not None:
        dispatch.wake_dispatcher(ended_campaign)


def dial_failed(attempt_id: int, error: CarrierError) -> str:
    """Settle an attempt whose carrier request failed. Commits (or raises, when the call may
    exist)."""
    attempt = locked_attempt(attempt_id)
    if error.retryable and getattr(error, "ambiguous", False):
        db.session.commit()
        raise error  # the call may exist: the reconciler looks it up before any new dial
    delivery = db.session.get(Delivery, attempt.delivery_id)
    log = job_logger(__name__)
    if error.retryable:  # busy or unreachable, and certainly no call: nobody was called
        again = settle_never_placed(attempt, delivery, current_app.config["NEVER_PLACED_RETRIES"])
        attempt.error_code = error.code
        db.session.commit()
        log.warning("attempt %s never reached the carrier: %s", attempt_id, error)
        if again:
            dispatch.wake_dispatcher(attempt.campaign_id)
        return f"never placed: {error.reason}"
    attempt_states.advance(attempt, AttemptState.FAILED)
    attempt.error_code = error.code
    campaign = db.session.get(Campaign, attempt.campaign_id)
    if error.reason in NUMBER_REASONS:  # the number cannot be called: say which way
        settle(attempt, delivery, campaign, permanent=True,
               outcome=DeliveryStatus.UNDELIVERABLE, reason=error.reason)  # fmt: skip
    else:
        settle(attempt, delivery, campaign, permanent=True)
    db.session.commit()
    log.warning("attempt %s failed at the carrier: %s", attempt_id, error)
    return f"failed: {error.code}"
