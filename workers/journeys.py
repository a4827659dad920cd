"""Journey jobs: the daily evaluation (voicecast/journeys/evaluation.py)."""

from __future__ import annotations

from voicecast.journeys import evaluation
from workers.context import job


@job
def evaluate_journeys() -> str:
    """Let in every active journey's contacts due now, and plan their campaigns."""
    return "evaluated {journeys} journeys, {campaigns} campaigns made".format(
        **evaluation.evaluate_journeys()
    )
