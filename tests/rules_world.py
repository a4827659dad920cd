"""A small world for calling-rule tests, built straight in the database at a chosen moment:
contacts with a legal basis, a refusal, a do-not-call entry and past attempts; a running
campaign planned at that moment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from voicecast.extensions import db
from voicecast.models import Attempt, AttemptState, Contact, Delivery, Suppression
from voicecast.models.campaign import Campaign, CampaignStatus
from voicecast.redis_client import get_redis

ALWAYS = {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}


@dataclass
class Person:
    zone: str
    basis: str  # a key of legal_basis_columns
    suppressed: bool = False
    refused_minutes_ago: int | None = None
    attempts_minutes_ago: list[int] = field(default_factory=list)
    alt_zone: str | None = None  # a second zone (the number's, when the postal code differs)
    regions: str | None = None  # US states, "FL" or "FL CA"


def legal_basis_columns(basis: str, now: datetime) -> dict:
    consent = {"consent_at": now - timedelta(days=400), "consent_source": "web form"}
    return {
        "none": {},
        "consent": consent,
        "consent_with_proof": {**consent, "consent_proof": "signed order 4411"},
        "consent_withdrawn": {
            **consent,
            "consent_proof": "signed order",
            "consent_withdrawn_at": now - timedelta(days=1),
        },
        "contract_open_ended": {"contract_kind": "servicing"},
        "contract_ongoing": {
            "contract_kind": "lease",
            "contract_ends_on": now.date() + timedelta(days=3),
        },
        "contract_ended": {
            "contract_kind": "warranty",
            "contract_ends_on": now.date() - timedelta(days=1),
        },
    }[basis]


def clear_world() -> None:
    for model in (Attempt, Delivery, Campaign, Suppression, Contact):
        db.session.execute(model.__table__.delete())
    db.session.commit()
    get_redis().flushdb()


def build_world(account_id: int, persons: list[Person], now: datetime) -> dict[str, Person]:
    """Contacts (with their basis, refusal, suppression) and their past attempts, made by an
    earlier campaign; returns the people by phone."""
    earlier = Campaign(
        account_id=account_id, name="earlier", status=CampaignStatus.COMPLETED,
        audience={"kind": "all"}, message_policy="recording", caller_id_policy="account",
        human_policy="play", unknown_policy="play", max_attempts=6, retry_delays_seconds=[60],
        calling_window={"days": [0], "start": "10:00", "end": "11:00"}, calls_per_second=1.0,
        max_in_flight=10,
    )  # fmt: skip
    db.session.add(earlier)
    db.session.flush()
    by_phone = {}
    for index, person in enumerate(persons):
        phone = f"+3361234{index:04d}"
        by_phone[phone] = person
        add_contact(account_id, phone, person, legal_basis_columns(person.basis, now), now)
        add_past_attempts(earlier, account_id, phone, person.attempts_minutes_ago, now)
    db.session.commit()
    return by_phone


def add_contact(account_id: int, phone: str, person, basis: dict, now: datetime) -> None:
    """The contact `person` stands for (its zone and second zone, its refusal, its
    do-not-call entry; any object with those attributes, `alt_zone` and `regions` optional),
    with the legal basis columns `basis`."""
    refused = None
    if person.refused_minutes_ago is not None:
        refused = now - timedelta(minutes=person.refused_minutes_ago)
    db.session.add(
        Contact(
            account_id=account_id, phone=phone, timezone=person.zone, refused_at=refused,
            alt_timezone=getattr(person, "alt_zone", None),
            regions=getattr(person, "regions", None), attributes={}, **basis,
        )
    )  # fmt: skip
    if person.suppressed:
        db.session.add(Suppression(account_id=account_id, phone=phone, reason="opt-out"))


def add_past_attempts(
    campaign: Campaign, account_id: int, phone: str, minutes_ago: list[int], now: datetime
) -> None:
    if not minutes_ago:
        return
    delivery = Delivery(
        campaign_id=campaign.id, account_id=account_id, phone=phone, status="no_answer",
        attempt_count=len(minutes_ago), next_attempt_at=None,
    )  # fmt: skip
    db.session.add(delivery)
    db.session.flush()
    for number, minutes in enumerate(sorted(minutes_ago, reverse=True), start=1):
        at = now - timedelta(minutes=minutes)
        db.session.add(
            Attempt(
                delivery_id=delivery.id, campaign_id=campaign.id, number=number,
                state=AttemptState.NO_ANSWER, created_at=at, dialed_at=at, ended_at=at,
            )
        )  # fmt: skip


def launch(account_id: int, window: dict, now: datetime, **settings) -> int:
    """A running campaign to every contact, planned at `now` (`settings`: other attempts,
    retry delays...)."""
    from voicecast.delivery.planning import plan_deliveries

    values = {"max_attempts": 3, "retry_delays_seconds": [60], **settings}
    campaign = Campaign(
        account_id=account_id, name="now", status=CampaignStatus.RUNNING,
        audience={"kind": "all"}, message_policy="recording", caller_id_policy="account",
        human_policy="play", unknown_policy="play", calling_window=window,
        calls_per_second=10.0, max_in_flight=1000, **values,
    )  # fmt: skip
    db.session.add(campaign)
    db.session.flush()
    plan_deliveries(campaign, now)
    db.session.commit()
    return campaign.id


def dialed_phones(campaign_id: int) -> set[str]:
    """The numbers a dispatcher round has given a dial attempt to."""
    stmt = (
        select(Delivery.phone)
        .join(Attempt, Attempt.delivery_id == Delivery.id)
        .where(Attempt.campaign_id == campaign_id)
    )
    return set(db.session.scalars(stmt))
