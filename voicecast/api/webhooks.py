"""Outbound webhooks: the URLs where the account hears of its events, and their delivery log.
Managers and admins only; how payloads are signed and sent: voicecast/outbound/."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError
from sqlalchemy import delete, select

from voicecast.api import bp
from voicecast.api.auth import current_principal
from voicecast.api.queries import keyset_page, one_or_404
from voicecast.api.schemas import Input, Output, PageQuery, not_null
from voicecast.api.spec import operation
from voicecast.errors import ApiError, invalid_field
from voicecast.extensions import db
from voicecast.models import OutboxEvent, OutboxStatus, WebhookEndpoint
from voicecast.models.base import utcnow
from voicecast.outbound import sender
from voicecast.outbound.addresses import url_problem
from voicecast.outbound.signing import new_secret

TAG = "Webhooks"
# A rotated secret keeps signing (as a second v1=) for this long, so receivers can switch.
ROTATION_GRACE = timedelta(hours=24)

EventType = Literal["delivery.finished", "callback.received", "opt_out", "campaign.finished"]
EVENTS_HELP = (
    "delivery.finished (a number's outcome is decided), callback.received (a customer's "
    "callback ended, or its outcome changed after), opt_out (a number joined the do-not-call "
    "list by the callback key or the API), campaign.finished (completed or canceled)."
)


PORT = r"([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
# http(s), a host (a name or a bracketed IPv6 address), a port in range: what a client can check
# before sending; check_url also checks what a pattern cannot (an IPv6 address that is none).
URL_PATTERN = (
    r"^https?://([^\s/?#@]*@)?([^\s/?#@:\[\]]+|\[[0-9A-Fa-f:.]+\])(:" + PORT + r")?([/?#]\S*)?$"
)


# What URL_PATTERN states is refused with the pattern's own type, in words that say what to fix.
AGAINST_PATTERN = "string_pattern_mismatch"


def check_url(value: Any) -> Any:
    """Before URL_PATTERN, a refusal that says what to fix (the pattern's own says only that it
    does not match), and what the pattern does not state: a bracketed IPv6 host that is an
    address. Refusals are typed `url` (api/schemas.UNSTATED_RULES); what is no text is left
    to the type check."""
    if not isinstance(value, str):
        return value
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises for a port that is no number in range
    except ValueError as error:
        if "port" in str(error).lower():
            message = "The URL's port must be a number up to 65535."
            raise PydanticCustomError(AGAINST_PATTERN, message) from None
        reason = {"reason": str(error)}
        raise PydanticCustomError("url", "The URL is not valid: {reason}.", reason) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PydanticCustomError(AGAINST_PATTERN, "Give an http:// or https:// URL with a host.")
    return value


Url = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=URL_PATTERN),
    BeforeValidator(check_url),  # outside the constraints: it speaks first
    Field(description="Where events are POSTed: http:// or https://."),
]
Events = Annotated[
    list[EventType],
    Field(min_length=1, max_length=4, description="The events it wants: " + EVENTS_HELP),
]


class WebhookCreate(Input):
    url: Url
    events: Events
    active: bool = Field(default=True, description="false: events wait until it is active again.")
    description: str | None = Field(default=None, max_length=200)


class WebhookUpdate(Input):
    url: Url = not_null()
    events: Events = not_null()
    active: bool = not_null(description="false: events wait (pending) until it is true again.")
    description: str | None = Field(default=None, max_length=200)


class WebhookOut(Output):
    id: int
    url: str
    events: list[str]
    active: bool
    description: str | None
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="Signs every payload (Voicecast-Signature). Shown only now; keep it."
    )


class WebhookSecret(Output):
    id: int
    secret: str = Field(description="The new secret, shown only now.")
    previous_secret_until: datetime = Field(
        description="Until then payloads also carry a signature with the previous secret."
    )


class WebhookPage(Output):
    items: list[WebhookOut]
    next_cursor: str | None


class AttemptLogOut(Output):
    at: datetime
    status_code: int | None = Field(description="The endpoint's HTTP status; null: no answer.")
    error: str | None
    duration_ms: int


class WebhookDeliveryOut(Output):
    event_id: str = Field(description="The event's id: its Voicecast-Delivery header.")
    type: str
    campaign_id: int | None
    status: OutboxStatus = Field(
        description="pending (to be sent at next_attempt_at), delivered, failed (gave up)."
    )
    attempts: int
    last_status_code: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = Field(description="The next try, while pending.")
    delivered_at: datetime | None
    created_at: datetime
    attempt_log: list[AttemptLogOut] = Field(description="The latest attempts, oldest first.")
    payload: dict[str, Any] = Field(description="The JSON body sent, byte for byte the same.")


class WebhookDeliveryPage(Output):
    items: list[WebhookDeliveryOut]
    next_cursor: str | None


class DeliveryLogQuery(PageQuery):
    status: OutboxStatus | None = None


def account_webhooks():
    principal = current_principal()
    principal.require_manager()
    return select(WebhookEndpoint).where(WebhookEndpoint.account_id == principal.account_id)


def get_webhook(webhook_id: int) -> WebhookEndpoint:
    return one_or_404(account_webhooks().where(WebhookEndpoint.id == webhook_id), "webhook")


def out(endpoint: WebhookEndpoint) -> WebhookOut:
    return WebhookOut.model_validate(endpoint)


def delivery_out(row: OutboxEvent) -> WebhookDeliveryOut:
    derived = {"attempt_log", "payload"}
    values = {name: getattr(row, name) for name in WebhookDeliveryOut.model_fields.keys() - derived}
    return WebhookDeliveryOut(
        **values, attempt_log=row.attempt_log or [], payload=json.loads(row.body)
    )


def refuse_inside_urls(url: str) -> None:
    """422 for a URL on a private or local address (unless WEBHOOK_PRIVATE_URLS allows it)."""
    problem = url_problem(url)
    if problem:
        raise invalid_field("body.url", problem, "url")


@operation(bp, "/webhooks", "POST", summary="Register a webhook", tag=TAG, body=WebhookCreate,
           response=WebhookCreated, status=201, errors=(403, 422))  # fmt: skip
def create_webhook(body: WebhookCreate):
    """Events from now on are POSTed to `url`, signed with the `secret` this answer shows once
    (see the README's "Outbound webhooks" for the payloads and how to check the signature)."""
    principal = current_principal()
    principal.require_manager()
    refuse_inside_urls(body.url)
    endpoint = WebhookEndpoint(
        account_id=principal.account_id,
        url=body.url,
        active=body.active,
        description=body.description,
        secret=new_secret(),
    )
    endpoint.events = list(body.events)
    db.session.add(endpoint)
    db.session.commit()
    return WebhookCreated(**out(endpoint).model_dump(), secret=endpoint.secret)


@operation(bp, "/webhooks", "GET", summary="List the webhooks", tag=TAG, query=PageQuery,
           response=WebhookPage, errors=(403,))  # fmt: skip
def list_webhooks(query: PageQuery):
    """Oldest first; secrets are never shown again."""
    rows, cursor = keyset_page(account_webhooks(), WebhookEndpoint.id, query)
    return WebhookPage(items=[out(row) for row in rows], next_cursor=cursor)


@operation(bp, "/webhooks/<int:webhook_id>", "GET", summary="Get a webhook", tag=TAG,
           response=WebhookOut, errors=(403, 404))  # fmt: skip
def get_webhook_view(webhook_id: int):
    """One of the account's webhooks."""
    return out(get_webhook(webhook_id))


@operation(bp, "/webhooks/<int:webhook_id>", "PATCH", summary="Change a webhook", tag=TAG,
           body=WebhookUpdate, response=WebhookOut, errors=(403, 404, 422))  # fmt: skip
def update_webhook(webhook_id: int, body: WebhookUpdate):
    """Events already written keep going to it (to its new URL, if changed); a change of
    `events` applies to events from now on. Made active again, it sends what waited."""
    endpoint = get_webhook(webhook_id)
    fields = body.model_dump(include=body.model_fields_set)
    if "url" in fields:
        refuse_inside_urls(fields["url"])
    for name in ("url", "active", "description"):
        if name in fields:
            setattr(endpoint, name, fields[name])
    if "events" in fields:
        endpoint.events = fields["events"]
    db.session.commit()
    if endpoint.active:
        sender.wake()
    return out(endpoint)


@operation(bp, "/webhooks/<int:webhook_id>", "DELETE", summary="Delete a webhook", tag=TAG,
           errors=(403, 404))  # fmt: skip
def delete_webhook(webhook_id: int):
    """Nothing more is sent to it, not even the events still pending; its log goes with it."""
    endpoint = get_webhook(webhook_id)
    # Explicitly: SQLite does not enforce the foreign key's ON DELETE CASCADE here.
    db.session.execute(delete(OutboxEvent).where(OutboxEvent.endpoint_id == endpoint.id))
    db.session.delete(endpoint)
    db.session.commit()


@operation(bp, "/webhooks/<int:webhook_id>/rotate-secret", "POST", summary="Rotate a webhook's "
           "secret", tag=TAG, response=WebhookSecret, errors=(403, 404))  # fmt: skip
def rotate_secret(webhook_id: int):
    """A new secret, shown once. For 24 hours payloads carry two signatures (`v1=` with the
    new secret, then with the old one), so the receiver can switch without losing any."""
    endpoint = get_webhook(webhook_id)
    until = utcnow() + ROTATION_GRACE
    endpoint.previous_secret, endpoint.previous_secret_until = endpoint.secret, until
    endpoint.secret = new_secret()
    db.session.commit()
    return WebhookSecret(id=endpoint.id, secret=endpoint.secret, previous_secret_until=until)


@operation(bp, "/webhooks/<int:webhook_id>/deliveries", "GET", summary="A webhook's delivery "
           "log", tag=TAG, query=DeliveryLogQuery, response=WebhookDeliveryPage,
           errors=(403, 404))  # fmt: skip
def list_webhook_deliveries(webhook_id: int, query: DeliveryLogQuery):
    """Every event written for it, oldest first: its status, attempts (the latest in
    `attempt_log`), the last answer and the next try."""
    endpoint = get_webhook(webhook_id)
    stmt = select(OutboxEvent).where(OutboxEvent.endpoint_id == endpoint.id)
    if query.status is not None:
        stmt = stmt.where(OutboxEvent.status == query.status)
    rows, cursor = keyset_page(stmt, OutboxEvent.id, query)
    return WebhookDeliveryPage(items=[delivery_out(row) for row in rows], next_cursor=cursor)


@operation(bp, "/webhooks/<int:webhook_id>/deliveries/<event_id>/retry", "POST",
           summary="Send an event again", tag=TAG, response=WebhookDeliveryOut, status=202,
           errors=(403, 404, 409))  # fmt: skip
def retry_webhook_delivery(webhook_id: int, event_id: str):
    """Send a failed (or delivered) event again now, with the same id and body. A failed one
    gets one more attempt; while it is pending, later events of its campaign wait for it."""
    endpoint = get_webhook(webhook_id)
    row = one_or_404(
        select(OutboxEvent).where(
            OutboxEvent.endpoint_id == endpoint.id, OutboxEvent.event_id == event_id[:40]
        ),
        "event for this webhook",
    )
    if row.status == OutboxStatus.PENDING:
        raise ApiError(409, "This event is still pending: it is sent at next_attempt_at.")
    row.status, row.next_attempt_at = OutboxStatus.PENDING, utcnow()
    db.session.commit()
    sender.wake()
    return delivery_out(row)
