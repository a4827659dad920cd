"""Customers' callbacks: every call to the account's numbers, who it reached and how it ended."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy import select

from voicecast.api import bp
from voicecast.api.auth import current_principal
from voicecast.api.queries import keyset_page, one_or_404
from voicecast.api.schemas import Id, Output, PageQuery
from voicecast.api.spec import operation
from voicecast.callbacks.notify import unsent_words
from voicecast.models import CallbackOutcome, InboundCall

TAG = "Callbacks"


class CallbackOut(Output):
    id: int
    call_sid: str
    from_number: str = Field(description="The caller.")
    to_number: str = Field(description="The account's number they called.")
    contact_id: int | None = Field(description="The contact with the caller's number, if any.")
    delivery_id: int | None = Field(description="The drop this callback answers, if any.")
    campaign_id: int | None
    seller_id: int | None
    route: str = Field(
        description="seller_line (the number is the seller's own line), last_message (the "
        "seller whose message the caller got last, within the attribution window), "
        "assigned_seller, fallback (the account's fallback number), none (voicemail)."
    )
    dialed_number: str | None = Field(description="The phone rung; null: straight to voicemail.")
    dial_status: str | None
    outcome: CallbackOutcome | None = Field(
        description="connected, voicemail_left, opted_out, abandoned; null while in progress."
    )
    started_at: datetime
    accepted_at: datetime | None = Field(description="When the seller took the call.")
    ended_at: datetime | None
    duration_seconds: int | None
    talk_seconds: int | None
    recording_seconds: int | None = Field(description="The voicemail's length, if one was left.")
    notified_at: datetime | None = Field(
        description="When the seller was told of it; null: not yet, or not sent (see "
        "notification_problem)."
    )
    notification: str | None = Field(
        description="What was sent about it: sms:SM... per text, or `not sent: <reason>`."
    )
    notification_problem: str | None = Field(
        default=None, description="Why the seller was not told, and what to fix; null if told."
    )


class CallbackPage(Output):
    items: list[CallbackOut]
    next_cursor: str | None


class CallbackQuery(PageQuery):
    campaign_id: Id | None = None
    seller_id: Id | None = None
    outcome: CallbackOutcome | None = None


def callback_out(call: InboundCall) -> CallbackOut:
    """The callback as the API shows it (the API speaks English)."""
    shown = CallbackOut.model_validate(call)
    shown.notification_problem = unsent_words(call, None)
    return shown


def visible_callbacks():
    """The account's callbacks; a seller sees only their own."""
    principal = current_principal()
    stmt = select(InboundCall).where(InboundCall.account_id == principal.account_id)
    if not principal.is_manager:
        stmt = stmt.where(InboundCall.seller_id == principal.user.id)
    return stmt


@operation(bp, "/callbacks", "GET", summary="List callbacks", tag=TAG, query=CallbackQuery,
           response=CallbackPage)  # fmt: skip
def list_callbacks(query: CallbackQuery):
    """Oldest first."""
    stmt = visible_callbacks()
    for name in ("campaign_id", "seller_id", "outcome"):
        value = getattr(query, name)
        if value is not None:
            stmt = stmt.where(getattr(InboundCall, name) == value)
    rows, cursor = keyset_page(stmt, InboundCall.id, query)
    return CallbackPage(items=[callback_out(row) for row in rows], next_cursor=cursor)


@operation(bp, "/callbacks/<int:callback_id>", "GET", summary="Get a callback", tag=TAG,
           response=CallbackOut, errors=(404,))  # fmt: skip
def get_callback(callback_id: int):
    """One callback."""
    stmt = visible_callbacks().where(InboundCall.id == callback_id)
    return callback_out(one_or_404(stmt, "callback"))
