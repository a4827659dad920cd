"""Events written to the outbox in the transaction of the change that causes them.

One INSERT ... SELECT writes a row per active endpoint of the account that subscribed to the
event's type, so an account without one pays a statement that inserts nothing (the hottest
path, a status webhook, asks first within a query it runs anyway: `reports.ENDED_ROW`). The
body is serialised once here: every attempt sends the same bytes with the same event id.

After an ORM commit that wrote events, the sender is woken (`wake_after_commit`); the status
path, on its own driver connection, wakes it itself. If Redis is down then, the workers'
periodic pass (`sender.revive_outbox`) finds the events in the database.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from voicecast import dialects, driver_sql
from voicecast.extensions import db
from voicecast.models import Campaign, Delivery, InboundCall, WebhookEndpoint
from voicecast.models.base import utcnow
from voicecast.outbound import (
    CALLBACK_RECEIVED,
    CAMPAIGN_FINISHED,
    DELIVERY_FINISHED,
    OPT_OUT,
    iso,
    sender,
)

INSERT_EVENT = (
    "INSERT INTO webhook_outbox (event_id, endpoint_id, account_id, type, campaign_id, body,"
    " status, attempts, next_attempt_at, created_at)"
    " SELECT :event_id, w.id, w.account_id, :type, CAST(:campaign_id AS INTEGER), :body,"
    " 'pending', 0, :now, :now FROM webhook_endpoints w"
    " WHERE w.account_id = :account_id AND w.active AND w.event_types LIKE :pattern"
)
WAKE_FLAG = "outbound_events_written"


def subscribed_sql(type_: str, account_column: str) -> str:
    """An SQL condition: the account in `account_column` has an active endpoint for `type_`
    (`type_` is one of our constants, never user input)."""
    return (
        "EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.account_id = "
        f"{account_column} AND w.active AND w.event_types LIKE '%,{type_},%')"
    )


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def emit(
    account_id: int,
    type_: str,
    campaign_id: int | None,
    data: dict[str, Any],
    on_driver_connection: bool = False,
) -> int:
    """Write the event for each of the account's endpoints that want it; how many rows. In the
    caller's transaction: the ORM session's, or with `on_driver_connection` this app
    context's `driver_sql` connection (whose caller then calls `sender.wake()` after its
    commit)."""
    now = utcnow()
    event_id = new_event_id()
    body = {
        "id": event_id,
        "type": type_,
        "created_at": iso(now),
        "account_id": account_id,
        "data": data,
    }
    params = {
        "event_id": event_id,
        "type": type_,
        "campaign_id": campaign_id,
        "body": json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        "now": dialects.bind_datetime(now),
        "account_id": account_id,
        "pattern": f"%,{type_},%",
    }
    if on_driver_connection:
        written, _ = driver_sql.execute(INSERT_EVENT, params)
        return written
    written = db.session.execute(text(INSERT_EVENT), params).rowcount
    if written:
        db.session.info[WAKE_FLAG] = True
    return written


def wants(account_id: int, type_: str) -> bool:
    """Whether the account has an active endpoint for `type_` (to skip building payloads)."""
    stmt = select(func.count()).where(
        WebhookEndpoint.account_id == account_id,
        WebhookEndpoint.active.is_(True),
        WebhookEndpoint.event_types.like(f"%,{type_},%"),
    )
    return bool(db.session.scalar(stmt))


@event.listens_for(db.session, "after_commit")
def wake_after_commit(session: Session) -> None:
    if session.info.pop(WAKE_FLAG, False):
        sender.wake()


@event.listens_for(db.session, "after_rollback")
def forget_after_rollback(session: Session) -> None:
    session.info.pop(WAKE_FLAG, None)


# --- The events ---------------------------------------------------------------------------


def delivery_data(
    delivery_id: int,
    campaign_id: int,
    contact_id: int | None,
    phone: str,
    status: str,
    reason: str | None,
    attempts: int,
    finished_at: datetime,
) -> dict[str, Any]:
    return {
        "id": delivery_id,
        "campaign_id": campaign_id,
        "contact_id": contact_id,
        "phone": phone,
        "status": str(status),
        "reason": reason,
        "attempts": attempts,
        "finished_at": iso(finished_at),
    }


def delivery_finished(delivery: Delivery) -> int:
    """`delivery.finished` for a delivery that just reached a final status (ORM paths)."""
    data = delivery_data(
        delivery.id,
        delivery.campaign_id,
        delivery.contact_id,
        delivery.phone,
        delivery.status,
        delivery.reason,
        delivery.attempt_count,
        utcnow(),
    )
    return emit(delivery.account_id, DELIVERY_FINISHED, delivery.campaign_id, data)


def campaign_finished(campaign: Campaign) -> int:
    """`campaign.finished` for a campaign just completed or canceled, with its deliveries'
    counts per status."""
    if not wants(campaign.account_id, CAMPAIGN_FINISHED):
        return 0
    stmt = (
        select(Delivery.status, func.count())
        .where(Delivery.campaign_id == campaign.id)
        .group_by(Delivery.status)
    )
    counts = {str(status): count for status, count in db.session.execute(stmt)}
    data = {
        "id": campaign.id,
        "name": campaign.name,
        "status": str(campaign.status),
        "counts": counts,
        "launched_at": iso(campaign.launched_at),
        "finished_at": iso(campaign.finished_at),
    }
    return emit(campaign.account_id, CAMPAIGN_FINISHED, campaign.id, data)


def callback_received(call: InboundCall) -> int:
    """`callback.received` for a callback that ended, or whose outcome changed after its end
    (a voicemail reported after the hang-up): the same fields as `GET /callbacks/{id}`."""
    if not wants(call.account_id, CALLBACK_RECEIVED):
        return 0
    db.session.flush()  # the columns the webhook's own changes set, as they will be stored
    # The API's own model, so that both always agree (imported here: the API imports us).
    from voicecast.api.callbacks import CallbackOut

    data = CallbackOut.model_validate(call).model_dump(mode="json")
    return emit(call.account_id, CALLBACK_RECEIVED, call.campaign_id, data)


def opt_out(
    account_id: int,
    phone: str,
    source: str,
    reason: str | None,
    created_at: datetime,
    campaign_id: int | None = None,
) -> int:
    """`opt_out` for a number just added to the do-not-call list (`campaign_id`: the campaign
    whose callback it came from, if any)."""
    data = {
        "phone": phone,
        "source": source,
        "reason": reason,
        "created_at": iso(created_at),
        "campaign_id": campaign_id,
    }
    return emit(account_id, OPT_OUT, campaign_id, data)
