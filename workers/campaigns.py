"""Campaign jobs: plan a launched campaign (voicecast/delivery/planning.py), run its dispatcher
rounds (voicecast/delivery/rounds.py)."""

from __future__ import annotations

from voicecast.delivery import planning, rounds
from workers.context import job


@job
def plan_campaign(campaign_id: int) -> str:
    """Write every delivery of a launched campaign, then start dispatching."""
    return planning.plan_campaign(campaign_id)


@job
def dispatch_campaign(campaign_id: int) -> str:
    """One dispatcher round of the campaign (or the next one booked, if one is running)."""
    return rounds.run_round(campaign_id)
