"""Planning: one delivery per audience contact, written by the database in one statement.

No job per contact, nothing per contact in Redis: the deliveries table is the hopper the
dispatcher draws from. It is a plain INSERT ... SELECT into a table without foreign keys (each
would cost a trigger per row); one delivery per number per campaign is the unique constraint's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, false, func, insert, literal, not_, null, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from voicecast.delivery import dispatch
from voicecast.extensions import db
from voicecast.models import (
    Contact,
    Delivery,
    DeliveryStatus,
    Purpose,
    Recording,
    Segment,
    Suppression,
    User,
)
from voicecast.models.base import utcnow
from voicecast.models.campaign import Campaign, CampaignStatus, MessagePolicy
from voicecast.observability.logs import job_logger
from voicecast.rules.campaigns import rules_of
from voicecast.rules.eligibility import (
    NO_LEGAL_BASIS,
    REFUSED,
    SUPPRESSED,
    legal_basis_holds,
    refused_recently,
)
from voicecast.rules.presets import Preset
from voicecast.segments.filters import compile_filter

# Why a contact of the audience is not dialed (the delivery's `reason`).
NO_SELLER = "no_seller"
SELLER_INACTIVE = "seller_inactive"
NO_RECORDING = "no_recording"
UNFINISHED = (CampaignStatus.RUNNING, CampaignStatus.PAUSED)


def audience_contacts(campaign: Campaign):
    stmt = select(Contact).where(Contact.account_id == campaign.account_id)
    kind = campaign.audience.get("kind")
    if kind == "contacts":
        stmt = stmt.where(Contact.id.in_(campaign.audience["contact_ids"]))
    elif kind == "segment":
        segment = db.session.get(Segment, campaign.audience["segment_id"])
        if segment is None or segment.account_id != campaign.account_id:
            return stmt.where(false())  # deleted since: nobody to call
        stmt = stmt.where(compile_filter(segment.filter, utcnow().date()))
    return stmt


def rule_exclusions(
    campaign: Campaign, preset: Preset | None, contact, now: datetime
) -> list[tuple]:
    """(condition, reason) pairs, in order, for the audience contacts the calling rules
    `preset` and the account's do-not-call list exclude."""
    suppressed = (
        select(Suppression.id)
        .where(Suppression.account_id == campaign.account_id, Suppression.phone == contact.c.phone)
        .exists()
    )
    exclusions = [(suppressed, SUPPRESSED)]
    if preset is not None:
        exclusions.append((not_(legal_basis_holds(contact.c, preset, now.date())), NO_LEGAL_BASIS))
        if preset.silence_after_refusal_days:
            exclusions.append((refused_recently(contact.c, preset, now), REFUSED))
    return exclusions


def delivery_rows(campaign: Campaign, now: datetime | None = None):
    """SELECT of the deliveries' columns, one row per audience contact, as planned at `now`."""
    rules = rules_of(campaign)
    contact = audience_contacts(campaign).subquery()
    seller = aliased(User)
    active = aliased(Recording)
    now = now or utcnow()
    exclusions = rule_exclusions(campaign, rules.preset, contact, now)
    if campaign.message_policy == MessagePolicy.RECORDING:
        recording_id = literal(campaign.recording_id)
        reason = case(*exclusions, else_=null())
    else:
        recording_id = active.id
        reason = case(
            *exclusions,
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
            func.coalesce(contact.c.timezone, literal(rules.account_zone)).label("timezone"),
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
    "timezone",
]


def plan_deliveries(campaign: Campaign, now: datetime | None = None) -> int:
    """Write the campaign's deliveries (pending, or excluded with a reason); returns how many.
    Does not commit. Run it once per campaign: a second run breaks the one-delivery-per-number
    constraint (the plan job holds the campaign's row while it plans)."""
    statement = insert(Delivery).from_select(COLUMNS, delivery_rows(campaign, now))
    added = db.session.execute(statement).rowcount
    zones = select(Delivery.timezone).where(Delivery.campaign_id == campaign.id).distinct()
    campaign.zones = sorted(zone for zone in db.session.scalars(zones) if zone)
    return added


def plan_campaign(campaign_id: int) -> str:
    """Write every delivery of a launched campaign in one statement, then start dispatching.
    Commits."""
    stmt = select(Campaign).where(Campaign.id == campaign_id).with_for_update()
    campaign = db.session.scalar(stmt)  # held until the plan commits: one plan at a time
    if campaign is None or campaign.status != CampaignStatus.PLANNING:
        return "nothing to plan"
    try:
        added = plan_deliveries(campaign)
    except IntegrityError:  # another plan got there first (SQLite has no row locks)
        db.session.rollback()
        return "planned already"
    campaign.status = CampaignStatus.RUNNING
    db.session.commit()
    job_logger(__name__).info("campaign %s planned: %s deliveries", campaign_id, added)
    dispatch.request_dispatch(campaign_id)
    return f"planned {added}"


def counts_by_status(campaign_id: int) -> dict[str, int]:
    stmt = (
        select(Delivery.status, func.count())
        .where(Delivery.campaign_id == campaign_id)
        .group_by(Delivery.status)
    )
    return {status.value: count for status, count in db.session.execute(stmt)}


def forget_contact(account_id: int, contact_id: int) -> None:
    """Unlink a deleted contact from the deliveries planned for it (they keep the number they
    dialed, as the record of what was done). Does not commit."""
    db.session.execute(
        update(Delivery)
        .where(Delivery.account_id == account_id, Delivery.contact_id == contact_id)
        .values(contact_id=None)
    )


def campaigns_still_playing(recording_id: int, account_id: int) -> list[int]:
    """Ids of the account's unfinished campaigns with calls still to place that play
    `recording_id`: deleting it would leave those calls without a message."""
    due = (
        select(Delivery.campaign_id)
        .join(Campaign, Campaign.id == Delivery.campaign_id)
        .where(
            Campaign.account_id == account_id,
            Campaign.status.in_(UNFINISHED),
            Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.DIALING)),
            Delivery.recording_id == recording_id,
        )
        .distinct()
    )
    planning = select(Campaign.id).where(
        Campaign.account_id == account_id,
        Campaign.status == CampaignStatus.PLANNING,
        Campaign.recording_id == recording_id,
    )
    return sorted(set(db.session.scalars(due)) | set(db.session.scalars(planning)))
