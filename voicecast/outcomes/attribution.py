"""What an outcome is attributed to: the last drop (a voicemail left, or a person reached by
the call) or callback (the customer calling back, an opt-out never counts) that the contact's
number had at or before the outcome, if it is within the account's attribution window;
otherwise nothing, with why (`Unattributed`).

The touches of many numbers are read in a few grouped queries (`touches_of`), so a batch of
10,000 outcomes costs a few dozen statements, not two per outcome."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from voicecast.callbacks.stats import REACHED, is_callback
from voicecast.extensions import db
from voicecast.models import Attempt, Delivery, InboundCall
from voicecast.outcomes.models import Touch, Unattributed

CHUNK = 500  # numbers per IN (...) list


@dataclass(frozen=True)
class Found:
    """A drop or a callback a number had: when, and what it counts for."""

    touch: Touch
    at: datetime
    delivery_id: int | None
    inbound_call_id: int | None
    campaign_id: int | None
    seller_id: int | None

    @property
    def order(self) -> tuple:
        """Latest last; at the same instant a callback is later than the drop it answers."""
        return (self.at, self.touch == Touch.CALLBACK, self.inbound_call_id or self.delivery_id)


@dataclass(frozen=True)
class Attribution:
    found: Found | None
    reason: Unattributed | None


def chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def drops_of(account_id: int, phones: list[str], until: datetime) -> Iterable[tuple[str, Found]]:
    """The attempts that left the message or reached a person, of these numbers, up to `until`."""
    reached = [status.value for status in REACHED]
    stmt = (
        select(
            Delivery.phone, Attempt.ended_at, Delivery.id, Delivery.campaign_id, Delivery.seller_id
        )
        .join(Attempt, Attempt.delivery_id == Delivery.id)
        .where(
            Delivery.account_id == account_id,
            Delivery.phone.in_(phones),
            Attempt.outcome.in_(reached),
            Attempt.ended_at <= until,
        )
    )
    for phone, at, delivery_id, campaign_id, seller_id in db.session.execute(stmt):
        yield phone, Found(Touch.DROP, at, delivery_id, None, campaign_id, seller_id)


def callbacks_of(
    account_id: int, phones: list[str], until: datetime
) -> Iterable[tuple[str, Found]]:
    """The callbacks these numbers made, up to `until`."""
    stmt = select(
        InboundCall.from_number,
        InboundCall.started_at,
        InboundCall.delivery_id,
        InboundCall.id,
        InboundCall.campaign_id,
        InboundCall.seller_id,
    ).where(
        InboundCall.account_id == account_id,
        InboundCall.from_number.in_(phones),
        InboundCall.started_at <= until,
        is_callback(),
    )
    for phone, at, delivery_id, call_id, campaign_id, seller_id in db.session.execute(stmt):
        yield phone, Found(Touch.CALLBACK, at, delivery_id, call_id, campaign_id, seller_id)


def touches_of(account_id: int, phones: Collection[str], until: datetime) -> dict[str, list[Found]]:
    """Every drop and callback of each number up to `until`, by number."""
    found: dict[str, list[Found]] = defaultdict(list)
    for chunk in chunks(sorted(set(phones))):
        for phone, touch in [
            *drops_of(account_id, chunk, until),
            *callbacks_of(account_id, chunk, until),
        ]:
            found[phone].append(touch)
    return found


def attribute(
    touches: Iterable[Found], occurred_at: datetime, window_days: int, known: bool
) -> Attribution:
    """The last of `touches` at or before `occurred_at`, if within `window_days` before it;
    else why not (`known`: the outcome names a contact of the account)."""
    before = [found for found in touches if found.at <= occurred_at]
    if not before:
        return Attribution(None, Unattributed.NO_MESSAGE if known else Unattributed.UNKNOWN_CONTACT)
    last = max(before, key=lambda found: found.order)
    if last.at < occurred_at - timedelta(days=window_days):
        return Attribution(None, Unattributed.OUTSIDE_WINDOW)
    return Attribution(last, None)
