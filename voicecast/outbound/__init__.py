"""Outbound webhooks: events written to an outbox in the database (`events`), signed
(`signing`) and delivered at least once, in order per campaign and endpoint, by a worker with
retries (`sender`, run by `workers.outbound`)."""

from __future__ import annotations

from datetime import UTC, datetime

DELIVERY_FINISHED = "delivery.finished"
CALLBACK_RECEIVED = "callback.received"
OPT_OUT = "opt_out"
CAMPAIGN_FINISHED = "campaign.finished"
EVENT_TYPES = (DELIVERY_FINISHED, CALLBACK_RECEIVED, OPT_OUT, CAMPAIGN_FINISHED)


def iso(value: datetime | None) -> str | None:
    """A timestamp as the API writes them: UTC, ISO 8601, with a Z."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
