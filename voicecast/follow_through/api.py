"""The follow-through by API: each seller's figures (`GET /api/v1/sellers/follow-through`)
and the call backs themselves (`GET /api/v1/call-backs`), on the API blueprint. A seller's
key sees only their own; another account's rows are never found."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy import select

from voicecast.api import bp
from voicecast.api.auth import current_principal
from voicecast.api.queries import keyset_page
from voicecast.api.schemas import Id, Output, PageQuery
from voicecast.api.sellers import visible_sellers
from voicecast.api.spec import operation
from voicecast.extensions import db
from voicecast.follow_through.figures import follow_through
from voicecast.follow_through.models import CallBack, CallBackOutcome
from voicecast.models import User

TAG = "Sellers"


class FollowThroughOut(Output):
    seller_id: int
    seller_name: str
    answered: int = Field(description="Callbacks the seller took (pressed 1 and talked).")
    missed: int = Field(description="Callbacks the seller missed (voicemail left, or not).")
    answered_rate: float | None = Field(
        description="answered / (answered + missed); null before any callback ended."
    )
    called_back: int = Field(
        description="Missed callbacks whose customer the seller's call back rang."
    )
    median_seconds_to_call_back: float | None = Field(
        description="Median seconds from a missed callback to its customer's phone ringing "
        "with the call back; null while none was called back."
    )


class FollowThroughPage(Output):
    items: list[FollowThroughOut]


class CallBackOut(Output):
    id: int
    inbound_call_id: int = Field(description="The missed callback it returns (/callbacks).")
    seller_id: int
    customer_number: str
    from_number: str = Field(description="The dealership's number presented to the customer.")
    outcome: CallBackOutcome | None = Field(
        description="reached (the customer's line answered), no_answer (the seller pressed 1, "
        "the customer did not answer), seller_no_answer (the seller's phone was not answered "
        "or 1 not pressed), refused (see refusal); null while under way."
    )
    refusal: str | None = Field(
        description="Why it was not placed: do_not_call, hours, holiday:<name>, "
        "no_seller_phone, seller_inactive, carrier:<code>, not_placed (the carrier never "
        "received the call)."
    )
    requested_at: datetime
    seller_answered_at: datetime | None
    customer_dialed_at: datetime | None
    ended_at: datetime | None
    talk_seconds: int | None


class CallBackPage(Output):
    items: list[CallBackOut]
    next_cursor: str | None


class CallBackQuery(PageQuery):
    inbound_call_id: Id | None = None
    seller_id: Id | None = None


@operation(bp, "/sellers/follow-through", "GET", summary="Sellers' follow-through", tag=TAG,
           response=FollowThroughPage)  # fmt: skip
def list_follow_through():
    """Each seller's answered rate, missed callbacks, those called back and the median time
    to call back (a seller's key: their own)."""
    principal = current_principal()
    sellers = db.session.scalars(visible_sellers(principal).order_by(User.id)).all()
    figures = follow_through(principal.account_id, [seller.id for seller in sellers])
    return FollowThroughPage(
        items=[
            FollowThroughOut(
                seller_id=seller.id,
                seller_name=seller.name,
                answered=figures[seller.id].answered,
                missed=figures[seller.id].missed,
                answered_rate=figures[seller.id].answered_rate,
                called_back=figures[seller.id].called_back,
                median_seconds_to_call_back=figures[seller.id].median_seconds_to_call_back,
            )
            for seller in sellers
        ]
    )


@operation(bp, "/call-backs", "GET", summary="List sellers' call backs", tag="Callbacks",
           query=CallBackQuery, response=CallBackPage)  # fmt: skip
def list_call_backs(query: CallBackQuery):
    """Oldest first; a seller's key lists only their own."""
    principal = current_principal()
    stmt = select(CallBack).where(CallBack.account_id == principal.account_id)
    if not principal.is_manager:
        stmt = stmt.where(CallBack.seller_id == principal.user.id)
    for name in ("inbound_call_id", "seller_id"):
        value = getattr(query, name)
        if value is not None:
            stmt = stmt.where(getattr(CallBack, name) == value)
    rows, cursor = keyset_page(stmt, CallBack.id, query)
    return CallBackPage(items=[CallBackOut.model_validate(row) for row in rows], next_cursor=cursor)
