"""The job that reads what the carrier charged for a campaign's calls."""

from __future__ import annotations

from datetime import timedelta

from voicecast.delivery.pricing import BATCH, price_ended_calls
from voicecast.models.base import utcnow
from voicecast.queues import get_queue
from workers.context import job, job_logger

AGAIN_IN = timedelta(seconds=60)
PRICE_JOB = "workers.pricing.price_calls"


@job
def price_calls(campaign_id: int) -> str:
    """Price the campaign's ended calls; while some still lack a price, look again later."""
    priced, left = price_ended_calls(campaign_id, utcnow())
    if left or priced == BATCH:
        get_queue().enqueue_in(
            AGAIN_IN, PRICE_JOB, campaign_id, job_id=f"price-calls-{campaign_id}"
        )
    job_logger(__name__).info("campaign %s: %s calls priced, %s not yet", campaign_id, priced, left)
    return f"priced {priced}, {left} not yet"
