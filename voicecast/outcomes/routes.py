"""The outcomes' API: the dealer's system posts outcomes (one, or up to 10,000), and campaigns,
journeys and sellers report what their drops brought (managers and admins; a seller's key
reads its own line of the sellers' report only)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import Field
from sqlalchemy import func, select

from voicecast.api import SESSION_ENDPOINTS, bp
from voicecast.api.auth import current_principal
from voicecast.api.campaigns import get_campaign
from voicecast.api.exports import ExportQuery, caller_scope
from voicecast.api.queries import keyset_page, one_or_404
from voicecast.api.schemas import Id
from voicecast.api.sellers import visible_sellers
from voicecast.api.spec import operation
from voicecast.errors import ApiError, invalid_field
from voicecast.extensions import db
from voicecast.journeys.models import JourneyRun, JourneyStep
from voicecast.journeys.routes import get_journey
from voicecast.models import Account, User
from voicecast.models.base import utcnow
from voicecast.outcomes import intake, report
from voicecast.outcomes.export import outcomes_csv
from voicecast.outcomes.models import Outcome, Touch
from voicecast.outcomes.schemas import (
    BatchReport,
    CampaignReport,
    ItemError,
    JourneyReport,
    OutcomeBatch,
    OutcomeIn,
    OutcomeOut,
    OutcomePage,
    OutcomeQuery,
    OutcomesSummary,
    SellerReport,
    SellersReport,
    StepReport,
    UnattributedCounts,
)

TAG = "Outcomes"
# A refused single outcome: the status and the detail's type (`schemas.UNSTATED_RULES`).
SINGLE_REFUSALS = {
    "not_found": (422, "body.contact_id", "contact"),
    "invalid_phone": (422, "body.phone", "phone"),
    "occurred_in_future": (422, "body.occurred_at", "occurred_at"),
    "occurred_too_early": (422, "body.occurred_at", "occurred_at"),
}


def manager_account() -> Account:
    principal = current_principal()
    principal.require_manager()
    return db.session.get(Account, principal.account_id)


def posted(item: OutcomeIn) -> intake.Posted:
    fields = item.model_dump(exclude={"occurred_at"})
    return intake.Posted(occurred_at=item.occurred_at or utcnow(), **fields)


def journeys_of(campaign_ids: set[int]) -> dict[int, int]:
    """The journey each of these campaigns was made by (campaign id -> journey id)."""
    if not campaign_ids:
        return {}
    stmt = (
        select(JourneyRun.campaign_id, JourneyStep.journey_id)
        .join(JourneyStep, JourneyStep.id == JourneyRun.step_id)
        .where(JourneyRun.campaign_id.in_(sorted(campaign_ids)))
    )
    return dict(db.session.execute(stmt).all())


def outcomes_out(rows: list[Outcome]) -> list[OutcomeOut]:
    journeys = journeys_of({row.campaign_id for row in rows if row.campaign_id is not None})
    return [
        OutcomeOut(
            **{
                name: getattr(row, name)
                for name in OutcomeOut.model_fields.keys()
                - {"attributed", "callback_id", "journey_id"}
            },
            attributed=row.touch is not None,
            callback_id=row.inbound_call_id,
            journey_id=journeys.get(row.campaign_id),
        )
        for row in rows
    ]


@operation(
    bp,
    "/outcomes",
    "POST",
    summary="Record an outcome",
    tag=TAG,
    body=OutcomeIn,
    response=OutcomeOut,
    status=201,
    errors=(403, 409, 422),
    also=((200, "Already recorded with the same values: the outcome as it is."),),
)
def post_outcome(body: OutcomeIn):
    """An appointment booked, a repair order or a vehicle sold, by contact (id or your own
    customer number) or by phone number. It is attributed to the last drop (message left or
    person reached) or callback the contact had at or before `occurred_at`, within the
    account's `outcome_attribution_days`; else it is kept unattributed, with why. The same
    `reference` again: 200 with the outcome recorded first; with other values: 409."""
    account = manager_account()
    [result] = intake.record(account, [posted(body)], utcnow())
    if result.refusal is not None:
        code, reason = result.refusal.code, result.refusal.reason
        if code == "reference_reused":
            raise ApiError(409, reason, code="reference_reused")
        _, field, kind = SINGLE_REFUSALS[code]
        raise invalid_field(field, reason, kind)
    db.session.commit()
    [out] = outcomes_out([intake.stored(account.id, body.reference)])
    return out if result.created else (out, 200)


@operation(
    bp,
    "/outcomes/batch",
    "POST",
    summary="Record many outcomes",
    tag=TAG,
    body=OutcomeBatch,
    response=BatchReport,
    errors=(403,),
)
def post_outcomes(body: OutcomeBatch):
    """Up to 10,000 outcomes at once (a nightly file from the dealer management system), each
    recorded as `POST /outcomes` records one, or listed in `errors` with its code and reason.
    Safe to send again: references already recorded with the same values count as
    `already_recorded`."""
    account = manager_account()
    results = intake.record(account, [posted(item) for item in body.outcomes], utcnow())
    errors = [
        ItemError(index=index, code=result.refusal.code, reason=result.refusal.reason)
        for index, result in enumerate(results, start=1)
        if result.refusal
    ]
    new = [result.outcome for result in results if result.created]
    # Counted before the commit expires the rows (reading them after would load each again).
    reasons = Counter(row.unattributed.value for row in new if row.unattributed is not None)
    answer = BatchReport(
        recorded=len(new),
        already_recorded=sum(1 for r in results if r.outcome is not None and not r.created),
        rejected=len(errors),
        attributed=sum(1 for row in new if row.touch is not None),
        unattributed=UnattributedCounts(**reasons),
        errors=errors,
    )
    db.session.commit()
    return answer


@operation(
    bp,
    "/outcomes",
    "GET",
    summary="List outcomes",
    tag=TAG,
    query=OutcomeQuery,
    response=OutcomePage,
    errors=(403,),
)
def list_outcomes(query: OutcomeQuery):
    """The account's outcomes in the order they were recorded, with their attribution."""
    account = manager_account()
    stmt = select(Outcome).where(Outcome.account_id == account.id)
    for name in ("campaign_id", "seller_id", "kind"):
        if getattr(query, name) is not None:
            stmt = stmt.where(getattr(Outcome, name) == getattr(query, name))
    if query.attributed is not None:
        has = Outcome.touch.is_not(None)
        stmt = stmt.where(has if query.attributed else ~has)
    rows, cursor = keyset_page(stmt, Outcome.id, query)
    return OutcomePage(items=outcomes_out(rows), next_cursor=cursor)


@operation(
    bp,
    "/outcomes/<int:outcome_id>",
    "GET",
    summary="Get an outcome",
    tag=TAG,
    response=OutcomeOut,
    errors=(403, 404),
)
def get_outcome(outcome_id: int):
    account = manager_account()
    stmt = select(Outcome).where(Outcome.account_id == account.id, Outcome.id == outcome_id)
    return outcomes_out([one_or_404(stmt, "outcome")])[0]


def money_of(rows: list[tuple[str | None, Any]]) -> list[dict[str, Any]]:
    return [
        {"currency": unit or "?", "amount": round(int(cents) / 100, 2)}
        for unit, cents in rows
        if cents is not None
    ]


@operation(
    bp,
    "/outcomes/report",
    "GET",
    summary="Outcomes attributed and not",
    tag=TAG,
    response=OutcomesSummary,
    errors=(403,),
)
def outcomes_summary():
    """How many of the account's outcomes were attributed (to drops, to callbacks), how many
    not and why, and their revenue each way."""
    account = manager_account()
    mine = Outcome.account_id == account.id
    touches = dict(
        db.session.execute(
            select(Outcome.touch, func.count()).where(mine).group_by(Outcome.touch)
        ).all()
    )
    reasons = db.session.execute(
        select(Outcome.unattributed, func.count())
        .where(mine, Outcome.unattributed.is_not(None))
        .group_by(Outcome.unattributed)
    ).all()
    revenue = {}
    for attributed in (True, False):
        has = Outcome.touch.is_not(None) if attributed else Outcome.touch.is_(None)
        stmt = select(Outcome.currency, func.sum(Outcome.amount_cents)).where(mine, has)
        revenue[attributed] = money_of(db.session.execute(stmt.group_by(Outcome.currency)).all())
    return OutcomesSummary(
        attribution_days=account.outcome_attribution_days,
        total=sum(touches.values()),
        attributed=touches.get(Touch.DROP, 0) + touches.get(Touch.CALLBACK, 0),
        to_drops=touches.get(Touch.DROP, 0),
        to_callbacks=touches.get(Touch.CALLBACK, 0),
        unattributed=UnattributedCounts(**{reason.value: count for reason, count in reasons}),
        revenue_attributed=revenue[True],
        revenue_unattributed=revenue[False],
    )


@operation(
    bp,
    "/campaigns/<int:campaign_id>/report",
    "GET",
    summary="A campaign's results",
    tag=TAG,
    response=CampaignReport,
    errors=(403, 404),
)
def campaign_results(campaign_id: int):
    """Drops, callbacks, attributed outcomes, revenue, cost and cost per appointment."""
    campaign = get_campaign(campaign_id)
    return CampaignReport(campaign_id=campaign.id, **report.campaign_report(campaign.id))


@operation(
    bp,
    "/journeys/<int:journey_id>/report",
    "GET",
    summary="A journey's results",
    tag=TAG,
    response=JourneyReport,
    errors=(403, 404),
)
def journey_results(journey_id: int):
    """The figures of `GET /campaigns/{id}/report` over every campaign the journey made, and
    for each step."""
    journey = get_journey(journey_id)
    steps = db.session.execute(
        select(JourneyStep.id, JourneyStep.name)
        .where(JourneyStep.journey_id == journey.id)
        .order_by(JourneyStep.position)
    ).all()
    found = report.journey_report(journey.id, [step_id for step_id, _ in steps])
    names = dict(steps)
    items = [StepReport(**item, name=names[item["step_id"]]) for item in found.pop("steps")]
    return JourneyReport(journey_id=journey.id, steps=items, **found)


@operation(
    bp, "/sellers/report", "GET", summary="Each seller's results", tag=TAG, response=SellersReport
)
def sellers_results():
    """Each seller's drops, callbacks, attributed outcomes, revenue and cost (the calls that
    played their message); a seller's key gets its own line only."""
    principal = current_principal()
    sellers = db.session.scalars(visible_sellers(principal).order_by(User.name, User.id)).all()
    found = report.sellers_report(principal.account_id, [seller.id for seller in sellers])
    items = [
        SellerReport(
            seller_id=seller.id, name=seller.name, active=seller.active, **found[seller.id]
        )
        for seller in sellers
    ]
    return SellersReport(items=items)


class OutcomeExportQuery(ExportQuery):
    campaign_id: Id | None = Field(default=None, description="Only those of this campaign.")
    journey_id: Id | None = Field(default=None, description="Only those of this journey.")
    seller_id: Id | None = Field(default=None, description="Only those of this seller.")


@operation(
    bp,
    "/outcomes.csv",
    "GET",
    summary="Export outcomes (CSV)",
    tag="Exports",
    query=OutcomeExportQuery,
    media_type="text/csv",
    errors=(403,),
)
def outcomes_export(query: OutcomeExportQuery):
    """One row per outcome, in the order recorded: outcome_id, reference, kind, amount,
    currency, occurred_at, the contact (contact_id, names, external_id, phone), attributed
    (yes/no), touch, touched_at, delivery_id, callback_id, campaign_id, campaign_name,
    seller_id, seller_name, unattributed (why not), attribution_days; kind, touch and
    unattributed each followed by its label. Titles, labels and times as for deliveries.csv
    (`lang`). Managers and admins; a logged-in manager's session works too."""
    scope = caller_scope()
    if not scope.whole_account:
        raise ApiError(403, "This needs a manager's or an admin's API key.")
    filters = query.model_dump(include={"campaign_id", "journey_id", "seller_id"})
    return outcomes_csv(scope, filters, query.delimiter, query.lang)


SESSION_ENDPOINTS.add("api.outcomes_export")
