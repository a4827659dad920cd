"""The outbound webhooks' sender job: one round over the outbox (voicecast/outbound/sender.py)."""

from __future__ import annotations

from voicecast.observability.logs import job_logger
from voicecast.outbound import sender
from workers.context import job


@job
def send_events() -> str:
    """Send every due event (in order per campaign and endpoint), then book the next round."""
    result = sender.run_round()
    job_logger(__name__).info("outbound webhooks: %s", result)
    return result
