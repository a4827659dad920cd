"""The dial job: place the calls of a batch of attempts (voicecast/delivery/dialing.py)."""

from __future__ import annotations

from voicecast.delivery.dialing import place_calls
from workers.context import current_job_id, job


@job
def dial_attempts(attempt_ids: list[int]) -> str:
    """Place the calls of `attempt_ids`, one after the other at the pace allowed."""
    return place_calls(attempt_ids, current_job_id())
