"""The pace a campaign will really dial at, and what holds it there: its own calls per second,
the carrier account's limit, or its max_in_flight calls at once over a call's length. Each
limit is named with its value, so that a preview's figure can be traced to a setting."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from voicecast.delivery.pacing import HEADROOM
from voicecast.extensions import db
from voicecast.models import Attempt
from voicecast.models.campaign import Campaign

# How long a call holds one of max_in_flight's places (from its claim by the dispatcher,
# through its wait for a pace slot, ringing, greeting and message, to its end) when the
# account has no ended call to measure yet: a voicemail left through Twilio takes about this.
CALL_SECONDS = 45.0
# The account's most recent calls measured for a call's length, and the fewest that count.
MEASURED_CALLS = 200
MIN_MEASURED_CALLS = 5


@dataclass(frozen=True)
class Limit:
    """One thing that caps the pace: its code, the calls per second it allows, and why."""

    name: str  # campaign_rate, account_limit, max_in_flight
    calls_per_second: float
    explanation: str


@dataclass(frozen=True)
class Pace:
    """The pace calls are placed at (the lowest limit, less the pacer's headroom)."""

    calls_per_second: float
    limited_by: str
    limits: tuple[Limit, ...]
    call_seconds: float
    measured_calls: int  # how many ended calls gave `call_seconds` (0: the default)

    @property
    def explanation(self) -> str:
        binding = next(limit for limit in self.limits if limit.name == self.limited_by)
        return f"{self.calls_per_second:g} calls/s, limited by {binding.explanation}"


def significant(rate: float) -> float:
    """`rate` to four significant digits: 0.0096 stays 0.0096, 8.1793 reads 8.179."""
    return float(f"{rate:.4g}")


def call_length(account_id: int) -> tuple[float, int]:
    """The mean seconds the account's recent calls held an in-flight place (claimed to
    ended), and how many were measured; CALL_SECONDS (and 0) when too few have ended."""
    stmt = (
        select(Attempt.created_at, Attempt.ended_at)
        .join(Campaign, Campaign.id == Attempt.campaign_id)
        .where(
            Campaign.account_id == account_id,
            Attempt.dialed_at.is_not(None),  # placed: one never placed says nothing of calls
            Attempt.ended_at.is_not(None),
        )
        .order_by(Attempt.id.desc())
        .limit(MEASURED_CALLS)
    )
    spans = [(ended - claimed).total_seconds() for claimed, ended in db.session.execute(stmt)]
    spans = [span for span in spans if span >= 0]
    if len(spans) < MIN_MEASURED_CALLS:
        return CALL_SECONDS, 0
    return sum(spans) / len(spans), len(spans)


def campaign_pace(campaign: Campaign) -> Pace:
    """The pace `campaign` would dial at, with each limit that applies to it."""
    carrier = current_app.config["TWILIO_CALLS_PER_SECOND"]
    seconds, measured = call_length(campaign.account_id)
    length = (
        f"the account's last {measured} calls each held a place {seconds:.1f} s on average"
        if measured
        else f"a call is assumed to last {seconds:g} s (no call of the account ended yet)"
    )
    spaced = f"slots spaced {round((1 / HEADROOM - 1) * 100)}% wider than asked"
    limits = (
        Limit("campaign_rate", significant(campaign.calls_per_second * HEADROOM),
              f"the campaign's calls_per_second ({campaign.calls_per_second:g}; {spaced})"),
        Limit("account_limit", significant(carrier * HEADROOM),
              f"the carrier account's limit (TWILIO_CALLS_PER_SECOND {carrier:g}, shared by "
              f"every campaign; {spaced})"),
        Limit("max_in_flight", significant(campaign.max_in_flight / seconds),
              f"max_in_flight ({campaign.max_in_flight} calls at once; {length})"),
    )  # fmt: skip
    binding = min(limits, key=lambda limit: limit.calls_per_second)
    return Pace(
        calls_per_second=binding.calls_per_second,
        limited_by=binding.name,
        limits=limits,
        call_seconds=round(seconds, 1),
        measured_calls=measured,
    )
