"""Planning: one delivery per audience contact, written by the database in chunks.

No job per contact, nothing per contact in Redis: the deliveries table is the hopper the
dispatcher draws from. Each chunk is a plain INSERT ... SELECT over the next CHUNK_CONTACTS
audience contacts by id, into a table without foreign keys (each would cost a trigger per row),
committed with the campaign's cursor (`planned_through`, the last contact id planned): no
transaction grows with the campaign, and a plan whose worker died resumes where its last chunk
committed. One delivery per number per campaign is the unique constraint's; a chunk that
breaks it (a contact given a planned contact's number while the plan ran, another planner) is
written again skipping the numbers planned already (not always: that costs 40% more).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, false, func, insert, literal, null, select, true, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from voicecast import clock, dialects
from voicecast.delivery import dispatch
from voicecast.extensions import db
from voicecast.journeys import recordings as journey_recordings
from voicecast.models import (
    Account,
    Contact,
    Delivery,
    DeliveryStatus,
    JourneyEntry,
    Purpose,
    Recording,
    Segment,
    User,
)
from voicecast.models.base import utcnow
from voicecast.models.campaign import Campaign, CampaignStatus, MessagePolicy
from voicecast.observability.logs import job_logger
from voicecast.rules.campaigns import rules_of
from voicecast.rules.eligibility import excluded_because, moment
from voicecast.rules.presets import Preset
from voicecast.segments.filters import compile_filter

# Why a contact of the audience is not dialed (the delivery's `reason`).
NO_SELLER = "no_seller"
SELLER_INACTIVE = "seller_inactive"
NO_RECORDING = "no_recording"
UNFINISHED = (CampaignStatus.RUNNING, CampaignStatus.PAUSED)
# Contacts per planning transaction (issue 16 bounds a transaction at 1,000,000 rows).
CHUNK_CONTACTS = 100_000


def audience_contacts(campaign: Campaign, after: int = 0, through: int | None = None):
    """The audience's contacts, those with ids in (`after`, `through`] (None: no end)."""
    stmt = select(Contact).where(Contact.account_id == campaign.account_id, Contact.id > after)
    if through is not None:
        stmt = stmt.where(Contact.id <= through)
    kind = campaign.audience.get("kind")
    if kind == "contacts":
        stmt = stmt.where(Contact.id.in_(campaign.audience["contact_ids"]))
    elif kind == "segment":
        segment = db.session.get(Segment, campaign.audience["segment_id"])
        if segment is None or segment.account_id != campaign.account_id:
            return stmt.where(false())  # deleted since: nobody to call
        account = db.session.get(Account, campaign.account_id)
        stmt = stmt.where(compile_filter(segment.filter, clock.today_in(account.timezone)))
    elif kind == "journey":  # a journey step's entrants of one run (voicecast/journeys/)
        run_id = campaign.audience["run_id"]
        stmt = stmt.where(
            Contact.id.in_(
                select(JourneyEntry.contact_id).where(
                    JourneyEntry.run_id == run_id, journey_recordings.not_held()
                )
            )
        )
    return stmt


def rule_exclusions(
    campaign: Campaign, preset: Preset | None, contact, now: datetime
) -> list[tuple]:
    """(condition, reason) pairs, in order, for the audience contacts the calling rules
    `preset` and the account's do-not-call list exclude (`eligibility.excluded_because`)."""
    at = moment(preset, now)
    return excluded_because(campaign.account_id, contact.c.phone, contact.c, preset, at)


def delivery_rows(
    campaign: Campaign, now: datetime | None = None, after: int = 0, through: int | None = None
):
    """SELECT of the deliveries' columns, one row per audience contact (those with ids in
    (`after`, `through`]), as planned at `now`."""
    rules = rules_of(campaign)
    contact = audience_contacts(campaign, after, through).subquery()
    seller = aliased(User)
    active = aliased(Recording)
    now = now or utcnow()
    exclusions = rule_exclusions(campaign, rules.preset, contact, now)
    if campaign.message_policy == MessagePolicy.RECORDING:
        recording_id = literal(campaign.recording_id)
        reason = case(*exclusions, else_=null())
    else:
        recording_id = journey_recordings.seller_message(campaign, contact.c.seller_id, active.id)
        reason = case(
            *exclusions,
            (contact.c.seller_id.is_(None), NO_SELLER),
            (seller.active.is_(False), SELLER_INACTIVE),
            (recording_id.is_(None), NO_RECORDING),
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
            contact.c.alt_timezone.label("alt_timezone"),
            contact.c.regions.label("regions"),
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
    "alt_timezone",
    "regions",
]


def insert_deliveries(
    campaign: Campaign,
    now: datetime | None,
    after: int,
    through: int | None,
    skip_planned: bool = False,
) -> int:
    """Write the deliveries of the audience contacts with ids in (`after`, `through`] (but for
    numbers the campaign has already if `skip_planned`); returns how many. Does not commit."""
    rows = delivery_rows(campaign, now, after, through)
    if skip_planned:
        # SQLite reads an INSERT ... SELECT ending in a join's ON as ambiguous before ON
        # CONFLICT unless the SELECT has a WHERE.
        statement = (
            dialects.insert_for(Delivery)
            .from_select(COLUMNS, rows.where(true()))
            .on_conflict_do_nothing()
        )
    else:
        statement = insert(Delivery).from_select(COLUMNS, rows)
    return db.session.execute(statement, execution_options={"preserve_rowcount": True}).rowcount


def plan_deliveries(campaign: Campaign, now: datetime | None = None) -> int:
    """Write the deliveries of the audience contacts not planned yet in one statement, and
    note the campaign's zones; returns how many. Does not commit."""
    added = insert_deliveries(campaign, now, campaign.planned_through or 0, None)
    note_zones(campaign)
    return added


def note_zones(campaign: Campaign) -> None:
    """The zones the campaign's rounds look at: its deliveries' own and second zones."""
    of_campaign = Delivery.campaign_id == campaign.id
    zones = union(
        select(Delivery.timezone).where(of_campaign),
        select(Delivery.alt_timezone).where(of_campaign),
    )
    campaign.zones = sorted(zone for zone in db.session.scalars(zones) if zone)


def chunk_end(campaign: Campaign, after: int, size: int) -> int | None:
    """The id of the `size`-th audience contact after `after` (None: fewer are left)."""
    stmt = (
        audience_contacts(campaign, after)
        .with_only_columns(Contact.id)
        .order_by(Contact.id)
        .offset(size - 1)
        .limit(1)
    )
    return db.session.scalar(stmt)


def plan_chunk(campaign: Campaign, size: int, skip_planned: bool = False) -> tuple[int, bool]:
    """Plan the next `size` audience contacts after the campaign's cursor and move it past
    them; returns how many deliveries were written and whether the audience is all planned
    (then the zones are noted). Does not commit: each chunk is meant to be its own
    transaction, committed with its cursor."""
    after = campaign.planned_through or 0
    through = chunk_end(campaign, after, size)
    added = insert_deliveries(campaign, None, after, through, skip_planned)
    if through is None:
        note_zones(campaign)
        return added, True
    campaign.planned_through = through
    return added, False


def plan_in_chunks(campaign_id: int, size: int | None = None) -> int | None:
    """Plan a launched campaign chunk by chunk (`size` contacts, default CHUNK_CONTACTS), each
    chunk committed on its own with the campaign's row locked (one planner at a time), then set
    it running; returns how many deliveries this run wrote, None when it was not planning."""
    size = size or CHUNK_CONTACTS
    added, done, skip_planned = 0, False, False
    while not done:
        stmt = select(Campaign).where(Campaign.id == campaign_id).with_for_update()
        campaign = db.session.scalar(stmt)
        if campaign is None or campaign.status != CampaignStatus.PLANNING:
            db.session.rollback()
            return added or None
        try:
            written, done = plan_chunk(campaign, size, skip_planned)
        except IntegrityError:
            db.session.rollback()
            if skip_planned:
                raise
            skip_planned = True  # this chunk again, skipping the numbers planned already
            continue
        skip_planned = False
        added += written
        if done:
            campaign.status = CampaignStatus.RUNNING
        db.session.commit()
    return added


def plan_campaign(campaign_id: int) -> str:
    """The plan job's body: write a launched campaign's deliveries, a chunk per transaction (a
    run after a dead worker's resumes from the last chunk committed), then start dispatching."""
    added = plan_in_chunks(campaign_id)
    if added is None:
        return "nothing to plan"
    job_logger(__name__).info("campaign %s planned: %s deliveries", campaign_id, added)
    dispatch.wake_dispatcher(campaign_id)
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
