"""Jobs about customers' callbacks."""

from __future__ import annotations

from voicecast.callbacks.notify import notify_missed_callback as notify
from voicecast.callbacks.voicemails import keep_voicemail as keep
from voicecast.observability.logs import job_logger
from workers.context import job


@job
def notify_missed_callback(call_id: int) -> str:
    """Tell the seller about callback `call_id` they did not take (once)."""
    result = notify(call_id)
    job_logger(__name__).info("callback %s: %s", call_id, result)
    return result


@job
def keep_voicemail(call_id: int) -> str:
    """Copy callback `call_id`'s voicemail from the carrier into the recordings storage."""
    result = keep(call_id)
    job_logger(__name__).info("callback %s voicemail: %s", call_id, result)
    return result
