"""Who a callback goes to. The number called names the account; the caller's number names the
contact; the seller is the owner of a seller's line, else the seller whose message the number
most recently received within the account's attribution window, else the contact's assigned
seller, else nobody (the account's fallback number, or voicemail)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from voicecast.extensions import db
from voicecast.models import Account, Attempt, Campaign, Contact, Delivery, PhoneNumber, User
from voicecast.rules.schedule import Schedule


class Route:
    """Why a callback went where it went."""

    SELLER_LINE = "seller_line"  # the number called is a seller's own line
    LAST_MESSAGE = "last_message"  # the seller whose message the caller got last
    ASSIGNED_SELLER = "assigned_seller"  # the contact's assigned seller
    FALLBACK = "fallback"  # the account's fallback number
    NONE = "none"  # nobody to ring: voicemail


@dataclass(frozen=True)
class Attribution:
    """The drop a callback answers."""

    delivery_id: int
    campaign_id: int
    seller_id: int | None


@dataclass
class Routing:
    account: Account
    contact: Contact | None
    attribution: Attribution | None
    seller: User | None
    route: str

    @property
    def campaign(self) -> Campaign | None:
        if self.attribution is None:
            return None
        return db.session.get(Campaign, self.attribution.campaign_id)


# When the message was heard: the attempt's end (its start while it still runs).
HEARD_AT = func.coalesce(Attempt.ended_at, Attempt.dialed_at)


def last_message(
    account: Account, phone: str, now: datetime, seller_id: int | None = None
) -> Attribution | None:
    """The latest drop (a call that played a message) `phone` received from the account within
    its attribution window, optionally only `seller_id`'s."""
    since = now - timedelta(days=account.attribution_days)
    stmt = (
        select(Delivery.id, Delivery.campaign_id, Delivery.seller_id)
        .join(Attempt, Attempt.delivery_id == Delivery.id)
        .where(
            Delivery.account_id == account.id,
            Delivery.phone == phone,
            Attempt.played_recording_id.is_not(None),
            HEARD_AT.between(since, now),
        )
        .order_by(HEARD_AT.desc(), Attempt.id.desc())
        .limit(1)
    )
    if seller_id is not None:
        stmt = stmt.where(Delivery.seller_id == seller_id)
    row = db.session.execute(stmt).first()
    return Attribution(row.id, row.campaign_id, row.seller_id) if row else None


def active_seller(account: Account, seller_id: int | None) -> User | None:
    seller = db.session.get(User, seller_id) if seller_id is not None else None
    if seller is None or seller.account_id != account.id or not seller.active:
        return None
    return seller


def route_callback(line: PhoneNumber, caller: str, now: datetime) -> Routing:
    """Where the call from `caller` to the registered `line` goes."""
    account = db.session.get(Account, line.account_id)
    contact = db.session.scalar(
        select(Contact).where(Contact.account_id == account.id, Contact.phone == caller)
    )
    owner = active_seller(account, line.seller_id)
    if owner is not None:
        attribution = last_message(account, caller, now, owner.id)
        return Routing(account, contact, attribution, owner, Route.SELLER_LINE)
    attribution = last_message(account, caller, now)
    seller = active_seller(account, attribution.seller_id) if attribution else None
    if seller is not None:
        return Routing(account, contact, attribution, seller, Route.LAST_MESSAGE)
    seller = active_seller(account, contact.seller_id) if contact else None
    if seller is not None:
        return Routing(account, contact, attribution, seller, Route.ASSIGNED_SELLER)
    route = Route.FALLBACK if account.fallback_number else Route.NONE
    return Routing(account, contact, attribution, None, route)


def seller_available(seller: User, account: Account, now: datetime) -> bool:
    """Whether callbacks may ring `seller` now: a phone, and within their hours if they set
    any (read in the account's zone)."""
    if not seller.phone:
        return False
    if not seller.available_hours:
        return True
    return Schedule.of(seller.available_hours, None).is_open(account.timezone, now)


def number_to_ring(routing: Routing, now: datetime) -> str | None:
    """The phone the call is dialed to, None: straight to voicemail."""
    if routing.seller is not None:
        available = seller_available(routing.seller, routing.account, now)
        return routing.seller.phone if available else None
    return routing.account.fallback_number
