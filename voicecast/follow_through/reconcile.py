"""Call backs whose seller leg's webhooks were lost (the carrier does not send a status
callback again after a failure, nor at all when it could not reach us): the carrier is asked,
never guessed at, so that no call back stays "under way" for ever.

The workers' pass calls `settle_lost_call_backs`. It looks at the call backs still without an
outcome UNDER_WAY after their press (the seller's phone rings SELLER_RING_SECONDS; a call back
that reached the customer may still be a conversation, which the carrier says is in progress):
- a seller's leg the carrier says ended is settled as its status callback would have
  (`flow.end_seller_leg`);
- a leg whose sid never reached us (the create response and every webhook lost) is looked up
  by the seller's number and ours since the press, and adopted; none found, or a sid the
  carrier does not know: it was never placed, `refused` with `not_placed`.
A carrier that cannot be reached now is asked again at the next pass.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from voicecast import dialects
from voicecast.carrier import CarrierError, carrier_client
from voicecast.carrier.client import CallRef
from voicecast.delivery.reconcile import CLOCK_MARGIN
from voicecast.extensions import db
from voicecast.follow_through.flow import FINAL_STATUSES, end_seller_leg
from voicecast.follow_through.models import CallBack, CallBackOutcome
from voicecast.follow_through.placing import UNDER_WAY
from voicecast.models.base import utcnow

log = logging.getLogger(__name__)
NOT_PLACED = "not_placed"
# Call backs looked at per pass (the carrier is asked once or twice for each).
BATCH = 50


def settle_lost_call_backs(now: datetime | None = None) -> int:
    """Settle the call backs under way for too long that the carrier says are over; how many.
    Commits."""
    now = now or utcnow()
    stmt = (
        select(CallBack)
        .where(CallBack.outcome.is_(None), CallBack.requested_at <= now - UNDER_WAY)
        .order_by(CallBack.id)
        .limit(BATCH)
    )
    settled = 0
    for row in db.session.scalars(dialects.skip_locked(stmt)).all():
        try:
            settled += settle_from_carrier(row, now)
        except CarrierError as error:
            log.warning("call back %s: the carrier could not be asked now: %s", row.id, error)
    db.session.commit()
    return settled


def settle_from_carrier(row: CallBack, now: datetime) -> bool:
    """Settle `row` by what the carrier says of its seller's leg; whether it is settled."""
    leg = seller_leg(row)
    if leg is None:
        row.move_to(CallBackOutcome.REFUSED)
        row.refusal, row.ended_at = NOT_PLACED, now
        return True
    row.seller_call_sid = leg.sid
    if leg.status not in FINAL_STATUSES:
        return False  # still ringing or talking
    end_seller_leg(row, leg.end_time or now)
    return True


def seller_leg(row: CallBack) -> CallRef | None:
    """The carrier's call to the seller for `row`: by its sid, or found by number."""
    carrier = carrier_client()
    if row.seller_call_sid:
        try:
            return carrier.fetch_call(row.seller_call_sid)
        except CarrierError as error:
            if error.reason == "not_found":
                return None
            raise
    since = row.requested_at - CLOCK_MARGIN  # the carrier's clock may differ from ours
    found = carrier.find_calls(row.seller_phone, since, from_=row.from_number)
    return found[0] if found else None
