"""How long the outbox keeps what is settled: an event delivered, or given up on, more than
`WEBHOOK_KEEP_DAYS` ago is deleted (a failed one can be sent again until then); what is still
owed stays, however old. Workers prune at most once an hour, a batch per transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from voicecast.extensions import db
from voicecast.models import OutboxEvent, OutboxStatus
from voicecast.models.base import utcnow
from voicecast.redis_client import get_redis

PRUNED_KEY = "outbound:pruned"  # set while a recent pass makes another pointless
PRUNE_EVERY_S = 3600
PRUNE_BATCH = 5000


def prune_outbox_hourly() -> int | None:
    """Prune the outbox unless a worker did within the hour; how many rows went (None: not
    this worker's turn)."""
    if not get_redis().set(PRUNED_KEY, "1", nx=True, ex=PRUNE_EVERY_S):
        return None
    return prune_outbox()


def prune_outbox(now: datetime | None = None) -> int:
    """Delete the events settled (delivered or failed) more than WEBHOOK_KEEP_DAYS before
    `now`; returns how many. Commits after each batch."""
    before = (now or utcnow()) - timedelta(days=current_app.config["WEBHOOK_KEEP_DAYS"])
    settled = OutboxEvent.status.in_((OutboxStatus.DELIVERED, OutboxStatus.FAILED))
    # A settled event's last attempt is the one that delivered it, or the one it failed at.
    old = OutboxEvent.last_attempt_at < before
    batch = select(OutboxEvent.id).where(settled, old).limit(PRUNE_BATCH)
    pruned = 0
    while ids := db.session.scalars(batch).all():
        db.session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(ids)))
        db.session.commit()
        pruned += len(ids)
    return pruned
