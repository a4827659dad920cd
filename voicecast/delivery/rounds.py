"""The dispatcher's rounds (the body of `workers.campaigns.dispatch_campaign`): one at a time
per campaign, each claims what may be dialed in the time zones whose window is open, queues
the dial jobs, finishes the campaign when nothing is left, and books the next round."""

from __future__ import annotations

from datetime import datetime, timedelta

from voicecast.delivery import dispatch
from voicecast.delivery.pricing import request_pricing
from voicecast.delivery.reconcile import reconcile_campaign
from voicecast.extensions import db
from voicecast.models.base import utcnow
from voicecast.models.campaign import Campaign, CampaignStatus
from voicecast.outbound import events
from voicecast.redis_client import get_redis
from voicecast.rules.campaigns import rules_of
from voicecast.rules.eligibility import CALLING
from voicecast.rules.schedule import ClosedStates, Schedule

ROUND_SECONDS = 1.0
MAX_IDLE_ROUND = timedelta(seconds=60)
# How often a round settles stuck attempts: a dead dial job's attempts are settled within
# this of its death being known (`reconcile.unsure`), so a few seconds, not every round.
RECONCILE_EVERY_S = 2
PRICING_EVERY_S = 5
# A round takes milliseconds (reconciling is outside it); a round that died (its worker
# killed, Redis lost under it) held the next ones back 30 s when this was 30.
ROUND_LOCK_S = 10
PRICING_SETTLE = timedelta(seconds=30)  # the carrier writes prices a while after the end


def run_round(campaign_id: int) -> str:
    """Settle stuck work, then one dispatcher round, unless another is running (one at a time
    per campaign, so max_in_flight holds): then the round is booked a second later."""
    redis = get_redis()
    lock = redis.lock(f"dispatch:lock:{campaign_id}", timeout=ROUND_LOCK_S, blocking=False)
    # Wake-ups asked from now on (a call ending) must start another round: this one may have
    # read the state before they happened.
    redis.delete(dispatch.wake_key(campaign_id))
    settle_stuck(campaign_id)
    if not lock.acquire():
        dispatch.schedule_round(campaign_id, utcnow() + timedelta(seconds=ROUND_SECONDS))
        return "another round is running"
    try:
        return dispatch_round(campaign_id)
    finally:
        lock.release()


def settle_stuck(campaign_id: int) -> None:
    """Every RECONCILE_EVERY_S, settle the running campaign's stuck attempts, and have its
    ended calls priced every PRICING_EVERY_S. Outside the round's lock: both ask the carrier
    (seconds, at worst), each settles only the rows it locks, and a round held back by the
    lock of a round that died (its worker killed, or Redis lost under it) must not hold back
    the attempts that died with it too."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != CampaignStatus.RUNNING:
        return
    redis = get_redis()
    if redis.set(f"reconcile:{campaign_id}", 1, nx=True, ex=RECONCILE_EVERY_S):
        reconcile_campaign(campaign_id)
    if redis.set(f"pricing:asked:{campaign_id}", 1, nx=True, ex=PRICING_EVERY_S):
        request_pricing(campaign_id)


def dispatch_round(campaign_id: int, now: datetime | None = None) -> str:
    """Claim what may be dialed at `now` (default: now) in the zones whose window is open."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != CALLING:
        return "not running"
    now = now or utcnow()
    rules = rules_of(campaign)
    zones = campaign.zones or [rules.account_zone]
    open_zones = [zone for zone in zones if rules.schedule.is_open(zone, now)]
    closed_states = rules.schedule.closed_states(open_zones, now)
    if open_zones:
        claimed = dispatch.claim_due(
            campaign, now, campaign.max_in_flight, open_zones, rules.account_zone, rules.preset,
            closed_states,
        )  # fmt: skip
        dispatch.enqueue_dials(claimed, dispatch.dial_batch_size(campaign))
    if not dispatch.unfinished(campaign_id):
        campaign.status = CampaignStatus.COMPLETED
        campaign.finished_at = utcnow()
        events.campaign_finished(campaign)
        db.session.commit()
        request_pricing(campaign_id, delay=PRICING_SETTLE)
        return "completed"
    openings = [rules.schedule.next_opening(zone, now) for zone in zones if zone not in open_zones]
    openings += state_openings(rules.schedule, closed_states, now)
    at = next_round_at(
        campaign_id, open_zones, rules.account_zone, [o for o in openings if o], closed_states
    )
    dispatch.schedule_round(campaign_id, at)
    return "dispatched" if open_zones else "outside the calling window"


def state_openings(
    schedule: Schedule, closed_states: ClosedStates, now: datetime
) -> list[datetime | None]:
    """When each state rule closed in an open zone opens there again."""
    return [
        schedule.for_regions(code).next_opening(zone, now)
        for code, zones in closed_states.items()
        for zone in zones
    ]


def next_round_at(
    campaign_id: int,
    open_zones: list[str],
    account_zone: str,
    openings: list[datetime],
    closed_states: ClosedStates | None = None,
) -> datetime:
    """The next round: in a second while calls are in flight, else when the next delivery in
    an open zone is due or the next closed zone opens (at least a second, at most a minute
    away)."""
    now = utcnow()
    if dispatch.in_flight(campaign_id):
        return now + timedelta(seconds=ROUND_SECONDS)
    due = (
        dispatch.next_due(campaign_id, open_zones, account_zone, closed_states)
        if open_zones
        else None
    )
    moments = [moment for moment in (due, *openings) if moment is not None]
    at = min(moments) if moments else now + MAX_IDLE_ROUND
    return max(now + timedelta(seconds=ROUND_SECONDS), min(at, now + MAX_IDLE_ROUND))
