"""Pressing the call-back button: the seller's leg placed through the carrier (twilio-python,
like every call), from the dealership's number the customer called, with the same AMD as a
drop so that the seller's own voicemail is hung up on at once; the customer's leg follows
from the webhooks (`flow.py`) once the seller pressed 1. A press while a call back of the same
callback is still ringing gives that one back rather than ringing the seller twice."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from voicecast.carrier import CarrierError, carrier_client
from voicecast.extensions import db
from voicecast.follow_through.flow import hook_url
from voicecast.follow_through.models import CallBack, CallBackOutcome
from voicecast.follow_through.rules import refusal, refusal_code
from voicecast.follow_through.twiml import SELLER_RING_SECONDS
from voicecast.models import InboundCall, User

log = logging.getLogger(__name__)
# A call back still without an outcome this long after the press is taken as over (its
# status callback lost): a new press then rings again.
UNDER_WAY = timedelta(minutes=3)


def under_way(call: InboundCall, now: datetime) -> CallBack | None:
    """The call back of `call` pressed lately and not ended yet, if any."""
    return db.session.scalar(
        select(CallBack)
        .where(
            CallBack.inbound_call_id == call.id,
            CallBack.outcome.is_(None),
            CallBack.requested_at > now - UNDER_WAY,
        )
        .order_by(CallBack.id.desc())
        .limit(1)
    )


def seller_problem(seller: User | None) -> str | None:
    if seller is None or not seller.active:
        return "seller_inactive"
    if not seller.phone:
        return "no_seller_phone"
    return None


def start_call_back(call: InboundCall, now: datetime) -> CallBack:
    """Ring the seller of `call` for a call back, or record why not (outcome `refused`).
    Commits."""
    running = under_way(call, now)
    if running is not None:
        return running
    seller = db.session.get(User, call.seller_id)
    row = CallBack(
        account_id=call.account_id,
        inbound_call_id=call.id,
        seller_id=call.seller_id,
        seller_phone=(seller.phone if seller is not None else None) or "",
        customer_number=call.from_number,
        from_number=call.to_number,
        requested_at=now,
    )
    problem = seller_problem(seller) or refusal_code(refusal(call, now))
    db.session.add(row)
    if problem:
        row.outcome, row.refusal = CallBackOutcome.REFUSED, problem
        db.session.commit()
        return row
    db.session.commit()  # its id, for the webhooks' URLs
    place_seller_leg(row)
    return row


def place_seller_leg(row: CallBack) -> None:
    """Ask the carrier to ring the seller; a refusal is kept as the call back's outcome, a
    lost answer is not one."""
    try:
        placed = carrier_client().place_call(
            to=row.seller_phone,
            from_=row.from_number,
            url=hook_url(row.id, "answered"),
            status_callback=hook_url(row.id, "status"),
            machine_detection="DetectMessageEnd",
            timeout=SELLER_RING_SECONDS,
        )
    except CarrierError as error:
        if error.retryable and error.ambiguous:
            # The carrier may have the call (its answer lost): the leg's webhooks carry it on,
            # and the workers' pass looks it up by number if they never come (reconcile.py).
            log.warning("call back %s: the carrier's answer was lost: %s", row.id, error)
            return
        row.move_to(CallBackOutcome.REFUSED)
        row.refusal = f"carrier:{error.code or error.reason}"[:200]
        db.session.commit()
        return
    # The carrier's first webhook may have stored the same sid already (it is the same call).
    row.seller_call_sid = row.seller_call_sid or placed.sid
    db.session.commit()
