"""Jobs about accounts, users and their API keys."""

from __future__ import annotations

from voicecast.api.auth import record_key_use
from workers.context import job


@job
def mark_key_used(key_id: int, used_at_iso: str) -> None:
    """Record that key `key_id` was used at `used_at_iso` (never moving the time backwards)."""
    record_key_use(key_id, used_at_iso)
