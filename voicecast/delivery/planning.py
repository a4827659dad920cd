"""Planning: one delivery per audience contact, written by the database in one statement.

No job per contact, nothing per contact in Redis: the deliveries table is the hopper the
dispatcher draws from. Re-running a plan adds nothing (one delivery per number per campaign).
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, literal, null, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from voicecast.extensions import db
from voicecast.models import Contact, Delivery, Purpose, Recording, User
from voicecast.models.base import utcnow
from voicecast.models.campaign import Campaign, MessagePolicy

# Why a contact of the audience is not dialed (the delivery's `reason`).
NO_SELLER = "no_seller"
SELLER_INACTIVE = "seller_inactive"
NO_RECORDING = "no_recording"


def audience_contacts(campaign: Campaign):
    stmt = select(Contact).where(Contact.account_id == campaign.account_id)
    if campaign.audience.get("kind") == "contacts":
        stmt = stmt.where(Contact.id.in_(campaign.audience["contact_ids"]))
    return stmt


def delivery_rows(campaign: Campaign):
    """SELECT of the deliveries' columns, one row per audience contact."""
    contact = audience_contacts(campaign).subquery()
    seller = aliased(User)
    active = aliased(Recording)
    now = utcnow()
    if campaign.message_policy == MessagePolicy.RECORDING:
        recording_id, reason, status = literal(campaign.recording_id), null(), literal("pending")
    else:
        recording_id = active.id
        reason = case(
            (contact.c.seller_id.is_(None), NO_SELLER),
            (seller.active.is_(False), SELLER_INACTIVE),
            (active.id.is_(None), NO_RECORDING),
            else_=null(),
        )
        status = case((reason.is_(None), "pending"), else_="excluded")
    return (
        select(
            literal(campaign.id).label("campaign_id"),
            literal(campaign.account_id).label("account_id"),
            contact.c.id.label("contact_id"),
            contact.c.phone,
            contact.c.seller_id,
            recording_id.label("recording_id"),
            status.label("status"),
            reason.label("reason"),
            literal(0).label("attempt_count"),
            literal(now).label("next_attempt_at"),
            literal(now).label("updated_at"),
        )
        .select_from(contact)
        .outerjoin(seller, seller.id == contact.c.seller_id)
        .outerjoin(
            active,
            and_(
                active.seller_id == contact.c.seller_id,
                active.purpose == Purpose.VOICEMAIL,
                active.active.is_(True),
            ),
        )
    )


COLUMNS = [
    "campaign_id",
    "account_id",
    "contact_id",
    "phone",
    "seller_id",
    "recording_id",
    "status",
    "reason",
    "attempt_count",
    "next_attempt_at",
    "updated_at",
]


def plan_deliveries(campaign: Campaign) -> int:
    """Write the campaign's deliveries (pending, or excluded with a reason); returns how many
    rows this call added. Does not commit."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    insert = (
        dialect.insert(Delivery)
        .from_select(COLUMNS, delivery_rows(campaign))
        .on_conflict_do_nothing(index_elements=["campaign_id", "phone"])
    )
    return db.session.execute(insert).rowcount


def counts_by_status(campaign_id: int) -> dict[str, int]:
    stmt = (
        select(Delivery.status, func.count())
        .where(Delivery.campaign_id == campaign_id)
        .group_by(Delivery.status)
    )
    return {status.value: count for status, count in db.session.execute(stmt)}
