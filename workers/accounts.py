"""Jobs about accounts, users and their API keys."""

from __future__ import annotations

from datetime import datetime

from voicecast.extensions import db
from voicecast.models import ApiKey
from workers.context import job, job_logger


@job
def mark_key_used(key_id: int, used_at_iso: str) -> None:
    """Record that key `key_id` was used at `used_at_iso`; never moves the time backwards, so
    duplicates and late runs are harmless."""
    used_at = datetime.fromisoformat(used_at_iso)
    key = db.session.get(ApiKey, key_id)
    if key is None:
        job_logger(__name__).info("API key %s is gone; nothing to record", key_id)
        return
    if key.last_used_at is None or used_at > key.last_used_at:
        key.last_used_at = used_at
        db.session.commit()
