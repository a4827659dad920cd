"""The sellers' and contacts' pages: what each seller's voice brings back, and each contact's
history with the account."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, or_, select

from voicecast.callbacks.notify import unsent_words
from voicecast.callbacks.stats import REACHED, is_callback
from voicecast.extensions import db
from voicecast.models import (
    Account,
    CallbackOutcome,
    Campaign,
    Contact,
    Delivery,
    InboundCall,
    Recording,
    Role,
    Suppression,
    User,
)
from voicecast.phones import InvalidPhone, to_e164

MISSED = (CallbackOutcome.VOICEMAIL_LEFT, CallbackOutcome.ABANDONED)
PAGE = 50


@dataclass
class SellerLine:
    seller: User
    recording: str | None  # the active recording's status, None: no recording
    drops: int
    callbacks: int
    callers: int
    missed: int

    @property
    def rate(self) -> float | None:
        return self.callers / self.drops if self.drops else None


def seller_lines(account_id: int) -> list[SellerLine]:
    """Every seller of the account with their drops, callbacks and missed callbacks."""
    sellers = db.session.scalars(
        select(User)
        .where(User.account_id == account_id, User.role == Role.SELLER)
        .order_by(User.name)
    ).all()
    drops = dict(
        db.session.execute(
            select(Delivery.seller_id, func.count())
            .where(Delivery.account_id == account_id, Delivery.status.in_(REACHED))
            .group_by(Delivery.seller_id)
        ).all()
    )
    callbacks = {
        row.seller_id: row
        for row in db.session.execute(
            select(
                InboundCall.seller_id,
                func.count().label("calls"),
                func.count(InboundCall.from_number.distinct()).label("callers"),
                func.sum(case((InboundCall.outcome.in_(MISSED), 1), else_=0)).label("missed"),
            )
            .where(InboundCall.account_id == account_id, is_callback())
            .group_by(InboundCall.seller_id)
        )
    }
    recordings = dict(
        db.session.execute(
            select(Recording.seller_id, Recording.status).where(
                Recording.account_id == account_id,
                Recording.active.is_(True),
                Recording.step_id.is_(None),  # journey steps' messages: journey_recordings.html
            )
        ).all()
    )
    lines = []
    for seller in sellers:
        calls = callbacks.get(seller.id)
        status = recordings.get(seller.id)
        lines.append(
            SellerLine(
                seller,
                status.value if status is not None else None,
                drops.get(seller.id, 0),
                calls.calls if calls else 0,
                calls.callers if calls else 0,
                int(calls.missed or 0) if calls else 0,
            )
        )
    return lines


def search_contacts(
    account_id: int, country: str, text: str, after: int | None
) -> tuple[list[Contact], int | None]:
    """A page of the account's contacts whose name contains `text` or whose number it is;
    returns them and the id to continue after (None: last page)."""
    stmt = select(Contact).where(Contact.account_id == account_id)
    text = text.strip()
    if text:
        matches = [
            Contact.first_name.icontains(text, autoescape=True),
            Contact.last_name.icontains(text, autoescape=True),
            Contact.external_id == text,
        ]
        with contextlib.suppress(InvalidPhone):  # not a number: names and ids only
            matches.append(Contact.phone == to_e164(text, country))
        stmt = stmt.where(or_(*matches))
    if after is not None:
        stmt = stmt.where(Contact.id > after)
    rows = db.session.scalars(stmt.order_by(Contact.id).limit(PAGE + 1)).all()
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return list(rows), rows[-1].id if more else None


def contact_history(contact: Contact) -> dict[str, Any]:
    """The drops the contact received, their callbacks, and whether they opted out."""
    same = or_(Delivery.contact_id == contact.id, Delivery.phone == contact.phone)
    mine_d = and_(Delivery.account_id == contact.account_id, same)
    drops = db.session.execute(
        select(Delivery, Campaign.name)
        .join(Campaign, Campaign.id == Delivery.campaign_id)
        .where(mine_d)
        .order_by(Delivery.id.desc())
    ).all()
    callbacks = db.session.scalars(
        select(InboundCall)
        .where(
            InboundCall.account_id == contact.account_id,
            or_(InboundCall.contact_id == contact.id, InboundCall.from_number == contact.phone),
        )
        .order_by(InboundCall.id.desc())
    ).all()
    suppression = db.session.scalar(
        select(Suppression).where(
            Suppression.account_id == contact.account_id, Suppression.phone == contact.phone
        )
    )
    country = db.session.get(Account, contact.account_id).country
    unsent = {call.id: words for call in callbacks if (words := unsent_words(call, country))}
    return {"drops": drops, "callbacks": callbacks, "suppression": suppression, "unsent": unsent}
