"""The dispatcher's side of the hopper: claim a small batch of due deliveries atomically and
record one attempt for each before anything is dialed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from voicecast.extensions import db
from voicecast.models import Account, Attempt, AttemptState, Delivery, DeliveryStatus
from voicecast.models.campaign import Campaign, CampaignStatus
from voicecast.queues import DIALING, PLANNING, enqueue, get_queue, job_waiting
from voicecast.redis_client import get_redis

DISPATCH_JOB = "workers.campaigns.dispatch_campaign"
PLAN_JOB = "workers.campaigns.plan_campaign"
DIAL_JOB = "workers.campaigns.dial_attempt"
# A dial waits for its pace slot (at most about max_in_flight / calls_per_second) and then one
# carrier request (TWILIO_HTTP_TIMEOUT); past this RQ counts the job as lost.
DIAL_TIMEOUT_S = 120


def in_flight(campaign_id: int) -> int:
    stmt = select(func.count()).where(
        Delivery.campaign_id == campaign_id, Delivery.status == DeliveryStatus.DIALING
    )
    return db.session.scalar(stmt) or 0


def remaining(campaign_id: int) -> int:
    stmt = select(func.count()).where(
        Delivery.campaign_id == campaign_id,
        Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.DIALING)),
    )
    return db.session.scalar(stmt) or 0


def due_ids(campaign_id: int, now: datetime, limit: int) -> list[int]:
    stmt = (
        select(Delivery.id)
        .where(
            Delivery.campaign_id == campaign_id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.next_attempt_at <= now,
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(db.session.scalars(stmt))


def claim_due(campaign: Campaign, now: datetime, batch: int) -> list[int]:
    """Move up to `batch` due deliveries (within max_in_flight) to dialing, each with a new
    attempt in state `created`; returns the attempt ids. Commits."""
    room = min(batch, campaign.max_in_flight - in_flight(campaign.id))
    if room <= 0:
        return []
    attempt_ids = []
    for delivery_id in due_ids(campaign.id, now, room):
        # The status guard makes the claim atomic per row even where SKIP LOCKED is missing.
        claimed = db.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.DIALING, attempt_count=Delivery.attempt_count + 1)
            .returning(Delivery.attempt_count)
        ).scalar()
        if claimed is None:
            continue
        attempt = Attempt(
            delivery_id=delivery_id,
            campaign_id=campaign.id,
            number=claimed,
            state=AttemptState.CREATED,
        )
        db.session.add(attempt)
        db.session.flush()
        attempt_ids.append(attempt.id)
    db.session.commit()
    return attempt_ids


def account_zone(campaign: Campaign) -> str:
    return db.session.get(Account, campaign.account_id).timezone


def request_dispatch(campaign_id: int) -> None:
    """Have the dispatcher look at the campaign soon; many requests within 200 ms make one."""
    if get_redis().set(f"dispatch:wake:{campaign_id}", 1, nx=True, px=200):
        enqueue(DISPATCH_JOB, campaign_id, queue=DIALING)


def next_due(campaign_id: int) -> datetime | None:
    stmt = select(func.min(Delivery.next_attempt_at)).where(
        Delivery.campaign_id == campaign_id, Delivery.status == DeliveryStatus.PENDING
    )
    return db.session.scalar(stmt)


def schedule_round(campaign_id: int, at: datetime) -> None:
    """The campaign's next dispatcher round: one scheduled job per campaign, moved, not added."""
    get_queue(DIALING).enqueue_at(
        at, DISPATCH_JOB, campaign_id, job_id=f"dispatch-round-{campaign_id}"
    )


def revive_campaigns() -> list[int]:
    """Queue again the work the database says is unfinished (Redis lost or emptied): plan the
    campaigns still planning, and give every running campaign a dispatcher round."""
    stmt = select(Campaign.id, Campaign.status).where(
        Campaign.status.in_((CampaignStatus.PLANNING, CampaignStatus.RUNNING))
    )
    revived = []
    for campaign_id, status in db.session.execute(stmt).all():
        if status == CampaignStatus.PLANNING:
            enqueue(PLAN_JOB, campaign_id, queue=PLANNING)
        else:
            request_dispatch(campaign_id)
        revived.append(campaign_id)
    return revived


def enqueue_dial(attempt_id: int) -> None:
    """One dial job per attempt id: queued again only when Redis has forgotten it."""
    enqueue(
        DIAL_JOB,
        attempt_id,
        queue=DIALING,
        job_id=dial_job_id(attempt_id),
        job_timeout=DIAL_TIMEOUT_S,
    )


def dial_job_id(attempt_id: int) -> str:
    return f"dial-{attempt_id}"


# A dial job says it is alive for this long once it holds its attempt (it then waits at most
# for its pace slot); an attempt still `created` without that mark has lost its job.
DIAL_ALIVE_S = 30


def mark_dial_alive(attempt_id: int) -> None:
    get_redis().set(f"dial:alive:{attempt_id}", 1, ex=DIAL_ALIVE_S)


def dial_job_lost(attempt_id: int) -> bool:
    """No dial job waits to run for this attempt, nor is running it (a killed worker's job
    stays "started" in RQ for minutes: its missing alive mark tells)."""
    redis = get_redis()
    if redis.exists(f"dial:alive:{attempt_id}"):
        return False
    return not job_waiting(dial_job_id(attempt_id))
