"""The job that reads what the carrier charged for a campaign's calls
(voicecast/delivery/pricing.py)."""

from __future__ import annotations

from voicecast.delivery.pricing import price_campaign_calls
from workers.context import job


@job
def price_calls(campaign_id: int) -> str:
    """Price the campaign's ended calls; while some still lack a price, look again later."""
    return price_campaign_calls(campaign_id)
