"""Each seller's follow-through, for the sellers' page and the API: of the callbacks routed to
them, how many they answered and missed, how many of the missed ones they called back, and
the median time from a missed callback to the customer's phone ringing with their call back.

- `answered_rate`: answered / (answered + missed), callbacks that ended (an opt-out is no
  callback, `callbacks.stats.is_callback`; one still under way is not counted yet);
- `called_back`: missed callbacks with a call back in which the customer was dialed (a press
  the seller did not answer, or that a rule refused, called nobody back);
- `median_seconds_to_call_back`: over those, from the callback's start to the first such
  dial; None while there are none.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, func, select

from voicecast.callbacks.stats import is_callback
from voicecast.extensions import db
from voicecast.follow_through.models import CallBack
from voicecast.follow_through.words import duration_words
from voicecast.models import Account, CallbackOutcome, InboundCall

MISSED = (CallbackOutcome.VOICEMAIL_LEFT, CallbackOutcome.ABANDONED)


@dataclass(frozen=True)
class FollowThrough:
    seller_id: int
    answered: int
    missed: int
    called_back: int
    median_seconds_to_call_back: float | None

    @property
    def answered_rate(self) -> float | None:
        ended = self.answered + self.missed
        return round(self.answered / ended, 4) if ended else None


def follow_through(account_id: int, seller_ids: list[int]) -> dict[int, FollowThrough]:
    """The figures of each of `seller_ids` (the account's), by seller id."""
    counts = {
        row.seller_id: row
        for row in db.session.execute(
            select(
                InboundCall.seller_id,
                func.sum(
                    case((InboundCall.outcome == CallbackOutcome.CONNECTED, 1), else_=0)
                ).label("answered"),
                func.sum(case((InboundCall.outcome.in_(MISSED), 1), else_=0)).label("missed"),
            )
            .where(InboundCall.account_id == account_id, is_callback())
            .group_by(InboundCall.seller_id)
        )
    }
    delays = delays_to_call_back(account_id)
    figures = {}
    for seller_id in seller_ids:
        row, waited = counts.get(seller_id), delays.get(seller_id, [])
        figures[seller_id] = FollowThrough(
            seller_id,
            int(row.answered or 0) if row else 0,
            int(row.missed or 0) if row else 0,
            len(waited),
            statistics.median(waited) if waited else None,
        )
    return figures


@dataclass(frozen=True)
class SellerFollowThrough:
    """A seller's figures with the median delay in words, for the sellers' page."""

    answered_rate: float | None
    called_back: int
    median_words: str | None


def seller_follow_through(
    account: Account, seller_ids: list[int]
) -> dict[int, SellerFollowThrough]:
    """The sellers' page's columns, by seller id, the delay in the account's words."""
    return {
        seller_id: SellerFollowThrough(
            seen.answered_rate,
            seen.called_back,
            duration_words(seen.median_seconds_to_call_back, account.country),
        )
        for seller_id, seen in follow_through(account.id, seller_ids).items()
    }


def delays_to_call_back(account_id: int) -> dict[int, list[float]]:
    """Per seller, the seconds from each missed callback they called back to the first time
    its customer's phone rang with their call back."""
    first_dial = (
        select(CallBack.inbound_call_id, func.min(CallBack.customer_dialed_at).label("dialed"))
        .where(CallBack.account_id == account_id, CallBack.customer_dialed_at.is_not(None))
        .group_by(CallBack.inbound_call_id)
        .subquery()
    )
    rows = db.session.execute(
        select(InboundCall.seller_id, InboundCall.started_at, first_dial.c.dialed)
        .join(first_dial, first_dial.c.inbound_call_id == InboundCall.id)
        .where(InboundCall.account_id == account_id, InboundCall.outcome.in_(MISSED))
    )
    delays: dict[int, list[float]] = defaultdict(list)
    for seller_id, started, dialed in rows:
        delays[seller_id].append(max(0.0, (as_aware(dialed) - started).total_seconds()))
    return delays


def as_aware(moment: datetime | str) -> datetime:
    """An aggregate's datetime as UTC (SQLite may hand back the stored text, without zone)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
