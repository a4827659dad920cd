"""The dispatcher's side of the hopper: claim a small batch of due deliveries atomically and
record one attempt for each before anything is dialed."""

from __future__ import annotations

import logging
from datetime import datetime

from redis.exceptions import RedisError
from sqlalchemy import and_, func, insert, not_, or_, select, update

from voicecast import dialects
from voicecast.delivery import attempt_states
from voicecast.extensions import db
from voicecast.jobs import DIAL_ATTEMPTS, DIAL_TIMEOUT_S, DISPATCH_CAMPAIGN, PLAN_CAMPAIGN
from voicecast.models import Attempt, Delivery, DeliveryStatus
from voicecast.models.campaign import Campaign, CampaignStatus
from voicecast.observability.metrics import WAKEUPS_MISSED, count
from voicecast.outbound import DELIVERY_FINISHED, events
from voicecast.queues import job_waiting
from voicecast.redis_client import get_redis
from voicecast.rules.eligibility import verdicts
from voicecast.rules.presets import Preset
from voicecast.rules.schedule import ClosedStates

DELIVERIES = Delivery.__table__
ATTEMPTS = Attempt.__table__
WAKE_MS = 500
log = logging.getLogger(__name__)


def in_flight(campaign_id: int) -> int:
    stmt = select(func.count()).where(
        Delivery.campaign_id == campaign_id, Delivery.status == DeliveryStatus.DIALING
    )
    return db.session.scalar(stmt) or 0


def unfinished(campaign_id: int) -> bool:
    """Whether any delivery is still to be dialed or in flight. One status at a time, in the
    order of an index that starts with it: the database takes a campaign's unfinished rows as
    spread through the table and scans it for the first one, when they are the last ones
    (220 ms at 1M deliveries, 90% ended) and counting them read the whole campaign."""
    for status in (DeliveryStatus.PENDING, DeliveryStatus.DIALING):
        stmt = (
            select(Delivery.id)
            .where(Delivery.campaign_id == campaign_id, Delivery.status == status)
            .order_by(Delivery.next_attempt_at)
            .limit(1)
        )
        if db.session.scalar(stmt) is not None:
            return True
    return False


def in_zones(zones: list[str], account_zone: str, closed_states: ClosedStates | None = None):
    """Deliveries in one of `zones`, whose second zone, if they have one, is one of them too
    (`Schedule.closed_in`), and none of whose states' rules is closed in either of their zones
    (`closed_states`: for a state, the zones among `zones` where its rule is closed now).
    Those planned without a zone are in the account's."""
    condition = Delivery.timezone.in_(zones)
    if account_zone in zones:
        condition = or_(condition, Delivery.timezone.is_(None))
    alt_in = or_(Delivery.alt_timezone.is_(None), Delivery.alt_timezone.in_(zones))
    conditions = [condition, alt_in]
    # Never NULL (NOT of a NULL would leave out a delivery no closed rule holds).
    zone = func.coalesce(Delivery.timezone, account_zone)
    alt = func.coalesce(Delivery.alt_timezone, "")
    for code, closed in (closed_states or {}).items():
        in_closed = or_(zone.in_(closed), alt.in_(closed))
        # Codes are two capitals separated by spaces: "%FL%" matches the state FL only.
        of_state = func.coalesce(Delivery.regions, "").like(f"%{code}%")
        conditions.append(not_(and_(of_state, in_closed)))
    return and_(*conditions)


def due_ids(
    campaign_id: int,
    now: datetime,
    limit: int,
    zones: list[str],
    account_zone: str,
    closed_states: ClosedStates | None = None,
) -> list[int]:
    """Up to `limit` deliveries due now in `zones` (those whose window is open) and not held
    by a state rule closed there (`closed_states`), oldest due first."""
    stmt = (
        select(Delivery.id)
        .where(
            Delivery.campaign_id == campaign_id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.next_attempt_at <= now,
            in_zones(zones, account_zone, closed_states),
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    return list(db.session.scalars(dialects.skip_locked(stmt)))


def claim_due(
    campaign: Campaign,
    now: datetime,
    batch: int,
    zones: list[str],
    account_zone: str,
    preset: Preset | None = None,
    closed_states: ClosedStates | None = None,
) -> list[int]:
    """Move up to `batch` due deliveries in `zones` (within max_in_flight), less those a
    state rule closed there holds (`closed_states`), that `preset` and the do-not-call list
    let be dialed now to dialing, each with a new attempt in state
    `created`; returns the attempt ids. The others are excluded, or wait, with their reason.
    Commits."""
    room = min(batch, campaign.max_in_flight - in_flight(campaign.id))
    due = due_ids(campaign.id, now, room, zones, account_zone, closed_states) if room > 0 else []
    due = held_back(campaign.account_id, preset, due, now)
    # The status guard makes the claim atomic per row even where SKIP LOCKED is missing.
    claimed = (
        db.session.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id.in_(due), DELIVERIES.c.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.DIALING, attempt_count=DELIVERIES.c.attempt_count + 1)
            # The attempt's number counts those that never reached the carrier too.
            .returning(DELIVERIES.c.id, DELIVERIES.c.attempt_count + DELIVERIES.c.unplaced_count)
        ).all()
        if due
        else []
    )
    attempt_ids: list[int] = []
    if claimed:
        rows = [
            {"delivery_id": delivery_id, "campaign_id": campaign.id, "number": number}
            for delivery_id, number in claimed
        ]
        attempt_ids = list(
            db.session.scalars(
                insert(ATTEMPTS)
                .values(state=attempt_states.FIRST_STATE)
                .returning(ATTEMPTS.c.id, sort_by_parameter_order=True),
                rows,
            )
        )
    db.session.commit()
    return attempt_ids


def held_back(
    account_id: int, preset: Preset | None, delivery_ids: list[int], now: datetime
) -> list[int]:
    """`delivery_ids` less those the rules hold back: each of those is excluded, or made to
    wait (attempt cap), with its reason. Does not commit."""
    found = verdicts(account_id, preset, delivery_ids, now)
    excluded: list[int] = []
    for delivery_id, verdict in found.items():
        values = {"reason": verdict.reason}
        if verdict.until is None:
            values["status"] = DeliveryStatus.EXCLUDED
        else:
            values["next_attempt_at"] = verdict.until
        moved = db.session.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id == delivery_id, DELIVERIES.c.status == DeliveryStatus.PENDING)
            .values(**values)
        ).rowcount
        if moved and verdict.until is None:
            excluded.append(delivery_id)
    if excluded and events.wants(account_id, DELIVERY_FINISHED):
        for delivery_id in excluded:
            events.delivery_finished(db.session.get(Delivery, delivery_id, populate_existing=True))
    return [delivery_id for delivery_id in delivery_ids if delivery_id not in found]


def wake_key(campaign_id: int) -> str:
    return f"dispatch:wake:{campaign_id}"


def request_dispatch(campaign_id: int) -> None:
    """Have the dispatcher look at the campaign soon; many requests within WAKE_MS make one
    (each round fills every free slot, so more would only cost CPU)."""
    if get_redis().set(wake_key(campaign_id), 1, nx=True, px=WAKE_MS):
        DISPATCH_CAMPAIGN.enqueue(campaign_id)


def wake_dispatcher(campaign_id: int) -> bool:
    """`request_dispatch` after a committed change, at best: when Redis is unreachable the
    change stands (the caller must not fail for it), and the workers' periodic pass
    (`revive_campaigns`) gives the campaign its round. False when the wake-up was lost."""
    try:
        request_dispatch(campaign_id)
    except (RedisError, OSError) as error:
        count(WAKEUPS_MISSED, "dispatcher")
        log.warning(
            "campaign %s: dispatcher not woken (%s); the periodic pass will", campaign_id, error
        )
        return False
    return True


def next_due(
    campaign_id: int,
    zones: list[str],
    account_zone: str,
    closed_states: ClosedStates | None = None,
) -> datetime | None:
    """When the next delivery in `zones` not held by a state rule closed there is due."""
    stmt = select(func.min(Delivery.next_attempt_at)).where(
        Delivery.campaign_id == campaign_id,
        Delivery.status == DeliveryStatus.PENDING,
        in_zones(zones, account_zone, closed_states),
    )
    return db.session.scalar(stmt)


def schedule_round(campaign_id: int, at: datetime) -> None:
    """The campaign's next dispatcher round: one scheduled job per campaign, moved, not added."""
    DISPATCH_CAMPAIGN.enqueue_at(at, campaign_id, job_id=f"dispatch-round-{campaign_id}")


def revive_campaigns() -> list[int]:
    """Queue again the work the database says is unfinished (Redis lost or emptied): plan the
    campaigns still planning, and give every running campaign a dispatcher round."""
    stmt = select(Campaign.id, Campaign.status).where(
        Campaign.status.in_((CampaignStatus.PLANNING, CampaignStatus.RUNNING))
    )
    revived = []
    for campaign_id, status in db.session.execute(stmt).all():
        if status == CampaignStatus.PLANNING:
            PLAN_CAMPAIGN.enqueue(campaign_id)
        else:
            request_dispatch(campaign_id)
        revived.append(campaign_id)
    return revived


def dial_batch_size(campaign: Campaign) -> int:
    """How many attempts one dial job places, one after the other at the campaign's pace: one
    job per call would cost more in RQ's own bookkeeping than the call itself, and a batch
    lasts about half a second at the campaign's pace (never more than DIAL_BATCH_MAX calls)."""
    return max(1, min(DIAL_BATCH_MAX, int(campaign.calls_per_second / 2)))


def enqueue_dials(attempt_ids: list[int], batch_size: int = 1) -> None:
    """Queue dial jobs for `attempt_ids`, `batch_size` attempts per job. Each attempt notes its
    job's id in Redis, which is how a lost job is told from a waiting or running one."""
    for start in range(0, len(attempt_ids), batch_size):
        batch = attempt_ids[start : start + batch_size]
        job_id = dial_job_id(batch[0])
        with get_redis().pipeline(transaction=False) as pipe:
            for attempt_id in batch:
                pipe.set(f"dial:job:{attempt_id}", job_id, ex=DIAL_TIMEOUT_S + DIAL_ALIVE_S)
            pipe.execute()
        DIAL_ATTEMPTS.enqueue(batch, job_id=job_id)


def dial_job_id(first_attempt_id: int) -> str:
    return f"dial-{first_attempt_id}"


# A running dial job says it is alive before each call it places, until that call's slot and
# `dial_alive_after_slot` more; an attempt still `created` whose job is neither waiting nor
# alive has lost it. (A fixed 30 s mark held a killed job's other attempts, and their places
# in max_in_flight, 30 s whatever RECONCILE_LOST_JOB_SECONDS said: test_campaign_chaos.py.)
DIAL_ALIVE_S = 30  # how long a dial job's id is kept past its timeout
DIAL_ALIVE_MARGIN_S = 5
DIAL_BATCH_MAX = 10


def dial_alive_after_slot(http_timeout_s: float) -> float:
    """How long a dial job is taken for alive after its call's slot: the admission window, the
    claim, and the carrier request (a connect and a read, each up to the HTTP timeout)."""
    return 2 * http_timeout_s + DIAL_ALIVE_MARGIN_S


def dial_alive_key(job_id: str) -> str:
    """Set by a running dial job before each call it places (`dial_alive_after_slot`)."""
    return f"dial:alive:{job_id}"


def dial_job_lost(attempt_id: int) -> bool:
    """No dial job waits to run this attempt, nor is running it (a killed worker's job stays
    "started" in RQ for minutes: its missing alive mark tells)."""
    redis = get_redis()
    job_id = redis.get(f"dial:job:{attempt_id}")
    if job_id is None:
        return True  # Redis forgot it (emptied, or the job is long gone)
    job_id = job_id.decode()
    if redis.exists(dial_alive_key(job_id)):
        return False
    return not job_waiting(job_id)
