"""Jobs about customers' callbacks."""

from __future__ import annotations

from voicecast.callbacks.notify import notify_missed_callback as notify
from voicecast.observability.logs import job_logger
from workers.context import job


@job
def notify_missed_callback(call_id: int) -> str:
    """Tell the seller about callback `call_id` they did not take (once)."""
    result = notify(call_id)
    job_logger(__name__).info("callback %s: %s", call_id, result)
    return result
