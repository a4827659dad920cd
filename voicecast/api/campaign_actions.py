"""Launching, pausing, resuming and canceling campaigns; what they did, delivery by delivery."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy import select

from voicecast.api import bp
from voicecast.api.campaign_schemas import CampaignOut
from voicecast.api.campaigns import get_campaign
from voicecast.api.idempotency import once
from voicecast.api.queries import keyset_page
from voicecast.api.schemas import Output, PageQuery
from voicecast.api.spec import operation
from voicecast.callbacks.stats import callback_stats, reached_in
from voicecast.delivery import controls
from voicecast.delivery.planning import counts_by_status
from voicecast.errors import ApiError
from voicecast.extensions import db
from voicecast.jobs import PLAN_CAMPAIGN
from voicecast.models import Account, Attempt, Delivery, DeliveryStatus
from voicecast.models.base import utcnow
from voicecast.models.campaign import Campaign, CampaignStatus
from voicecast.rules.caller_id import caller_id_problem
from voicecast.rules.campaigns import rules_of
from voicecast.rules.eligibility import verdicts
from voicecast.rules.waiting import Waiting, why_waiting

TAG = "Campaigns"


class CampaignState(CampaignOut):
    counts: dict[str, int] = Field(description="Deliveries per status.")
    calling_rules: dict = Field(
        description="The account's preset (null: none, only the campaign's window applies) "
        "and the hours that result from it and the campaign's window."
    )
    callbacks: dict = Field(
        description="Customers who called back after this campaign's message: calls, distinct "
        "callers, per outcome (connected, voicemail_left, abandoned), and rate = callers / "
        "contacts who heard the message (voicemail_left + human_reached); opted_out: calls "
        "asking to hear no more, counted apart (not in calls, callers or rate)."
    )


class AttemptOut(Output):
    number: int
    state: str
    call_sid: str | None
    answered_by: str | None
    outcome: str | None
    error_code: int | None
    rules: str | None = Field(description="The calling rules it was dialed under.")
    created_at: datetime
    dialed_at: datetime | None
    ended_at: datetime | None
    opted_out_at: datetime | None = Field(
        description="When the person who answered pressed the opt-out key during the message "
        "(the number joined the do-not-call list then)."
    )


class WaitingOut(Output):
    reason: str = Field(
        description="outside_hours, public_holiday, attempt_cap, retry_delay, scheduled, "
        "campaign_paused or due; for a due delivery the calling rules now hold back for good, "
        "the reason the next round excludes it with (suppressed, no_legal_basis, "
        "refused_recently)."
    )
    until: datetime | None
    text: str = Field(description='e.g. "outside calling hours until Mon 30 Nov 10:00 '
                      'Europe/Paris".')  # fmt: skip


class DeliveryOut(Output):
    id: int
    contact_id: int | None
    phone: str
    timezone: str | None
    alt_timezone: str | None = Field(
        default=None,
        description="The number's zone when the postal code names another: dialed only while "
        "the window is open in both.",
    )
    seller_id: int | None
    recording_id: int | None
    status: DeliveryStatus
    reason: str | None
    attempt_count: int
    next_attempt_at: datetime | None
    waiting: WaitingOut | None = Field(description="Why a pending delivery waits; else null.")
    attempts: list[AttemptOut]


class DeliveryPage(Output):
    items: list[DeliveryOut]
    next_cursor: str | None


class DeliveryQuery(PageQuery):
    status: DeliveryStatus | None = None


def campaign_state(campaign: Campaign) -> CampaignState:
    base = CampaignOut.model_validate(campaign).model_dump()
    counts = counts_by_status(campaign.id)
    return CampaignState(
        **base,
        counts=counts,
        calling_rules=rules_of(campaign).describe(),
        callbacks=callback_stats(campaign.id, reached_in(counts)),
    )


def require_status(campaign: Campaign, *allowed: CampaignStatus) -> None:
    try:
        controls.require_status(campaign, *allowed)
    except controls.NotNow as error:
        raise ApiError(409, str(error)) from None


@operation(
    bp,
    "/campaigns/<int:campaign_id>",
    "GET",
    summary="Get a campaign",
    tag=TAG,
    response=CampaignState,
    errors=(403, 404),
)
def get_campaign_state(campaign_id: int):
    """Settings, status, and how many deliveries are in each state."""
    return campaign_state(get_campaign(campaign_id))


@operation(
    bp,
    "/campaigns/<int:campaign_id>/launch",
    "POST",
    summary="Launch a campaign",
    tag=TAG,
    response=CampaignState,
    status=202,
    errors=(403, 404, 409),
)
def launch_campaign(campaign_id: int):
    """Returns at once; a worker plans one delivery per audience contact, then dials at the
    allowed pace. Safe to retry with the same `Idempotency-Key`."""
    campaign = get_campaign(campaign_id)

    def act() -> CampaignState:
        require_status(campaign, CampaignStatus.DRAFT)
        require_callable(campaign)
        campaign.status, campaign.launched_at = CampaignStatus.PLANNING, utcnow()
        db.session.flush()
        return campaign_state(campaign)

    result = once(f"launch_campaign:{campaign_id}", 202, act)
    PLAN_CAMPAIGN.enqueue(campaign_id)
    return result


def require_callable(campaign: Campaign) -> None:
    """What the rules say before a launch: a caller ID they allow, and hours to call in."""
    account = db.session.get(Account, campaign.account_id)
    if not account.caller_id:
        raise ApiError(
            409,
            "Set the account's caller ID first: voicecast account set-caller-id ACCOUNT_ID +33...",
        )
    problem = caller_id_problem(account)
    if problem:
        raise ApiError(409, problem)
    rules = rules_of(campaign)
    if not rules.schedule.ever_open:
        raise ApiError(
            409,
            f"The campaign's calling window leaves no hour the {rules.name} calling rules allow "
            "(see calling_rules in the campaign): widen it within them.",
        )


def controlled(campaign_id: int, control) -> CampaignState:
    """Apply `control` (voicecast.delivery.controls) to the caller's campaign; 409 when its
    status does not allow it."""
    campaign = get_campaign(campaign_id)
    try:
        control(campaign)
    except controls.NotNow as error:
        raise ApiError(409, str(error)) from None
    return campaign_state(campaign)


@operation(
    bp,
    "/campaigns/<int:campaign_id>/pause",
    "POST",
    summary="Pause a campaign",
    tag=TAG,
    response=CampaignState,
    errors=(403, 404, 409),
)
def pause_campaign(campaign_id: int):
    """No new call starts; calls already ringing finish."""
    return controlled(campaign_id, controls.pause)


@operation(
    bp,
    "/campaigns/<int:campaign_id>/resume",
    "POST",
    summary="Resume a campaign",
    tag=TAG,
    response=CampaignState,
    errors=(403, 404, 409),
)
def resume_campaign(campaign_id: int):
    """Dialing starts again where it stopped."""
    return controlled(campaign_id, controls.resume)


@operation(
    bp,
    "/campaigns/<int:campaign_id>/cancel",
    "POST",
    summary="Cancel a campaign",
    tag=TAG,
    response=CampaignState,
    errors=(403, 404, 409),
)
def cancel_campaign(campaign_id: int):
    """Every waiting delivery is canceled; calls already ringing finish and are recorded."""
    return controlled(campaign_id, controls.cancel)


def due_now(rows: list[Delivery], now: datetime) -> list[int]:
    """The pending deliveries among `rows` due at `now`."""
    return [
        row.id
        for row in rows
        if row.status == DeliveryStatus.PENDING
        and row.next_attempt_at is not None
        and row.next_attempt_at <= now
    ]


@operation(
    bp,
    "/campaigns/<int:campaign_id>/deliveries",
    "GET",
    summary="List deliveries",
    tag=TAG,
    query=DeliveryQuery,
    response=DeliveryPage,
    errors=(403, 404),
)
def list_deliveries(campaign_id: int, query: DeliveryQuery):
    """Each number of the campaign with its status, reason and attempts."""
    campaign = get_campaign(campaign_id)
    stmt = select(Delivery).where(Delivery.campaign_id == campaign_id)
    if query.status is not None:
        stmt = stmt.where(Delivery.status == query.status)
    rows, cursor = keyset_page(stmt, Delivery.id, query)
    attempts = attempts_by_delivery([row.id for row in rows])
    rules, now = rules_of(campaign), utcnow()
    # What the next round would find for those due now: the rules may hold them back.
    held = verdicts(campaign.account_id, rules.preset, due_now(rows, now), now)
    items = [
        delivery_out(
            row,
            attempts.get(row.id, []),
            why_waiting(row, rules, campaign.status, now, held.get(row.id)),
        )
        for row in rows
    ]
    return DeliveryPage(items=items, next_cursor=cursor)


def delivery_out(
    delivery: Delivery, attempts: list[AttemptOut], waiting: Waiting | None
) -> DeliveryOut:
    derived = {"attempts", "waiting"}
    values = {name: getattr(delivery, name) for name in DeliveryOut.model_fields.keys() - derived}
    shown = WaitingOut(**vars(waiting)) if waiting else None
    return DeliveryOut(**values, waiting=shown, attempts=attempts)


def attempts_by_delivery(delivery_ids: list[int]) -> dict[int, list[AttemptOut]]:
    found: dict[int, list[AttemptOut]] = {}
    stmt = select(Attempt).where(Attempt.delivery_id.in_(delivery_ids)).order_by(Attempt.number)
    for attempt in db.session.scalars(stmt):
        found.setdefault(attempt.delivery_id, []).append(AttemptOut.model_validate(attempt))
    return found
