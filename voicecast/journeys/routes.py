"""The journeys' API: /api/v1/journeys, in the campaigns' style (managers only, the account's
rows only, 404 for anyone else's)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from voicecast import dialects
from voicecast.api import bp
from voicecast.api.auth import Principal, current_principal
from voicecast.api.campaign_actions import require_callable
from voicecast.api.campaigns import apply_fields
from voicecast.api.idempotency import once
from voicecast.api.queries import keyset_page, one_or_404
from voicecast.api.schemas import PageQuery
from voicecast.api.spec import operation
from voicecast.api.validation import reject_nulls
from voicecast.errors import ApiError
from voicecast.extensions import db
from voicecast.journeys import controls
from voicecast.journeys.models import (
    Journey,
    JourneyEntry,
    JourneyRun,
    JourneyStatus,
    JourneyStep,
)
from voicecast.journeys.schemas import (
    JourneyCreate,
    JourneyOut,
    JourneyPage,
    JourneyUpdate,
    RunOut,
    RunPage,
    RunQuery,
    StepFields,
    StepOut,
    StepUpdate,
)
from voicecast.models import Campaign, CampaignStatus
from voicecast.models.base import utcnow

TAG = "Journeys"


def visible_journeys(principal: Principal) -> Select[tuple[Journey]]:
    principal.require_manager()
    return select(Journey).where(Journey.account_id == principal.account_id)


def get_journey(journey_id: int, locked: bool = False) -> Journey:
    """The principal's journey (404 otherwise); `locked`: its row locked against the
    evaluation, for a change."""
    stmt = visible_journeys(current_principal()).where(Journey.id == journey_id)
    return one_or_404(dialects.for_writing(stmt) if locked else stmt, "journey")


def open_journey(journey_id: int) -> Journey:
    """The journey to change, locked; 409 once ended."""
    journey = get_journey(journey_id, locked=True)
    try:
        controls.require_open(journey)
    except controls.NotNow as error:
        raise ApiError(409, str(error)) from None
    return journey


def get_step(journey: Journey, step_id: int) -> JourneyStep:
    stmt = select(JourneyStep).where(
        JourneyStep.id == step_id, JourneyStep.journey_id == journey.id
    )
    return one_or_404(stmt, "journey step")


def step_columns(step: StepFields | StepUpdate, fields: set[str], where: str) -> dict[str, Any]:
    """The step's columns from the request's `fields`, the campaign settings checked as a
    campaign's (recording, segment, calling window the rules leave hours in)."""
    values = step.model_dump(mode="json", include=fields, warnings=False)
    if "offset" in values:
        offset = values.pop("offset")
        values["offset_amount"], values["offset_unit"] = offset["amount"], offset["unit"]
    return values


def check_step(account_id: int, columns: dict[str, Any], where: str) -> None:
    """What the rows say of a step: its segment is the account's, its campaign settings make
    a campaign the calling rules can run (the checks a campaign's creation and launch make)."""
    audience = {"kind": "all"}
    if columns.get("segment_id") is not None:
        audience = {"kind": "segment", "segment_id": columns["segment_id"]}
    probe = Campaign(account_id=account_id, status=CampaignStatus.DRAFT)
    try:
        apply_fields(probe, {**columns["campaign"], "audience": audience})
        require_callable(probe)
    except ApiError as error:
        for detail in error.details or []:
            field = detail["field"]
            if field.startswith("body.audience."):
                detail["field"] = f"{where}.{field.removeprefix('body.audience.')}"
            else:
                detail["field"] = f"{where}.campaign.{field.removeprefix('body.')}"
        raise


def journey_out(journey: Journey) -> JourneyOut:
    steps = db.session.scalars(
        select(JourneyStep)
        .where(JourneyStep.journey_id == journey.id)
        .order_by(JourneyStep.position)
    ).all()
    entered = dict(
        db.session.execute(
            select(JourneyEntry.step_id, func.count())
            .where(JourneyEntry.step_id.in_([step.id for step in steps]))
            .group_by(JourneyEntry.step_id)
        ).all()
    )
    items = [step_out(step, entered.get(step.id, 0)) for step in steps]
    values = {name: getattr(journey, name) for name in JourneyOut.model_fields.keys() - {"steps"}}
    return JourneyOut(**values, steps=items)


def step_out(step: JourneyStep, entered: int) -> StepOut:
    offset = {"amount": step.offset_amount, "unit": step.offset_unit}
    derived = {"offset", "entered"}
    values = {name: getattr(step, name) for name in StepOut.model_fields.keys() - derived}
    return StepOut(**values, offset=offset, entered=entered)


def add_step(journey: Journey, step: StepFields, position: int, where: str) -> JourneyStep:
    columns = step_columns(step, set(StepFields.model_fields), where)
    check_step(journey.account_id, columns, where)
    row = JourneyStep(journey_id=journey.id, account_id=journey.account_id, position=position,
                      effective_from=utcnow(), **columns)  # fmt: skip
    db.session.add(row)
    return row


@operation(bp, "/journeys", "POST", summary="Create a journey", tag=TAG, body=JourneyCreate,
           response=JourneyOut, status=201, errors=(403, 409))  # fmt: skip
def create_journey(body: JourneyCreate):
    """A journey, active at once: from today (each contact's local day), the contacts whose
    moment of a step comes enter it, once. Send an `Idempotency-Key` header to make retries
    safe."""
    principal = current_principal()
    principal.require_manager()

    def act() -> JourneyOut:
        fields = body.model_dump(mode="json", exclude={"steps"})
        journey = Journey(account_id=principal.account_id, status=JourneyStatus.ACTIVE,
                          evaluated_at=utcnow(), **fields)  # fmt: skip
        db.session.add(journey)
        db.session.flush()
        for position, step in enumerate(body.steps, start=1):
            add_step(journey, step, position, f"body.steps[{position - 1}]")
        db.session.flush()
        return journey_out(journey)

    return once("create_journey", 201, act)


@operation(bp, "/journeys", "GET", summary="List journeys", tag=TAG, query=PageQuery,
           response=JourneyPage, errors=(403,))  # fmt: skip
def list_journeys(query: PageQuery):
    """The account's journeys, oldest first."""
    rows, cursor = keyset_page(visible_journeys(current_principal()), Journey.id, query)
    return JourneyPage(items=[journey_out(row) for row in rows], next_cursor=cursor)


@operation(bp, "/journeys/<int:journey_id>", "GET", summary="Get a journey", tag=TAG,
           response=JourneyOut, errors=(403, 404))  # fmt: skip
def get_journey_state(journey_id: int):
    """Settings, status, steps and how many contacts entered each."""
    return journey_out(get_journey(journey_id))


@operation(bp, "/journeys/<int:journey_id>", "PATCH", summary="Update a journey", tag=TAG,
           body=JourneyUpdate, response=JourneyOut, errors=(403, 404, 409))  # fmt: skip
def update_journey(journey_id: int, body: JourneyUpdate):
    """Its name and its policy for the moments missed while paused (read at the next resume).
    409 once ended."""
    journey = open_journey(journey_id)
    fields = body.model_dump(mode="json", include=body.model_fields_set, warnings=False)
    reject_nulls(fields, tuple(fields))
    for name, value in fields.items():
        setattr(journey, name, value)
    db.session.commit()
    return journey_out(journey)


@operation(bp, "/journeys/<int:journey_id>/steps", "POST", summary="Add a step", tag=TAG,
           body=StepFields, response=JourneyOut, status=201, errors=(403, 404, 409))  # fmt: skip
def add_journey_step(journey_id: int, body: StepFields):
    """A new step, evaluated from today (each contact's local day): earlier moments are not
    caught up. 409 once the journey ended."""
    journey = open_journey(journey_id)
    last = db.session.scalar(
        select(func.max(JourneyStep.position)).where(JourneyStep.journey_id == journey.id)
    )
    if (last or 0) >= 20:
        raise ApiError(409, "A journey has at most 20 steps.")
    add_step(journey, body, (last or 0) + 1, "body")
    db.session.commit()
    return journey_out(journey)


@operation(bp, "/journeys/<int:journey_id>/steps/<int:step_id>", "PATCH", summary="Edit a step",
           tag=TAG, body=StepUpdate, response=JourneyOut, errors=(403, 404, 409))  # fmt: skip
def edit_journey_step(journey_id: int, step_id: int, body: StepUpdate):
    """Change the fields sent. A new trigger (attribute, offset, yearly) applies from today:
    contacts who entered the step do not enter again, and moments the new trigger would have
    reached before today are not caught up. Other changes apply to the next days' campaigns.
    409 once the journey ended."""
    journey = open_journey(journey_id)
    step = get_step(journey, step_id)
    fields = set(body.model_fields_set)
    reject_nulls(body.model_dump(include=fields), tuple(fields - {"segment_id"}))
    columns = step_columns(body, fields, "body")
    merged = {"segment_id": step.segment_id, "campaign": step.campaign, **columns}
    check_step(journey.account_id, merged, "body")
    controls.edit_step(step, columns, utcnow())
    db.session.commit()
    return journey_out(journey)


def controlled(journey_id: int, control) -> JourneyOut:
    journey = get_journey(journey_id, locked=True)
    try:
        control(journey, utcnow())
    except controls.NotNow as error:
        raise ApiError(409, str(error)) from None
    db.session.commit()
    return journey_out(journey)


@operation(bp, "/journeys/<int:journey_id>/pause", "POST", summary="Pause a journey", tag=TAG,
           response=JourneyOut, errors=(403, 404, 409))  # fmt: skip
def pause_journey(journey_id: int):
    """Nobody enters its steps until it resumes; its campaigns already made go on."""
    return controlled(journey_id, controls.pause)


@operation(bp, "/journeys/<int:journey_id>/resume", "POST", summary="Resume a journey",
           tag=TAG, response=JourneyOut, errors=(403, 404, 409))  # fmt: skip
def resume_journey(journey_id: int):
    """Moments that fell while paused are skipped, or caught up within catch_up_days (the
    journey's missed_policy)."""
    return controlled(journey_id, controls.resume)


@operation(bp, "/journeys/<int:journey_id>/end", "POST", summary="End a journey", tag=TAG,
           response=JourneyOut, errors=(403, 404, 409))  # fmt: skip
def end_journey(journey_id: int):
    """For good: nobody enters its steps again, and it can no longer be resumed or edited;
    its campaigns already made go on (each can be paused or cancelled), and its runs,
    entries and reports stay. Contacts held for a seller's recording are given up. A journey
    is ended, never deleted."""
    return controlled(journey_id, controls.end)


@operation(bp, "/journeys/<int:journey_id>/runs", "GET", summary="List a journey's runs",
           tag=TAG, query=RunQuery, response=RunPage, errors=(403, 404))  # fmt: skip
def list_runs(journey_id: int, query: RunQuery):
    """Each day's entrants of each step, per time zone, with the campaign calling them."""
    journey = get_journey(journey_id)
    steps = select(JourneyStep.id).where(JourneyStep.journey_id == journey.id)
    stmt = select(JourneyRun).where(JourneyRun.step_id.in_(steps))
    if query.step_id is not None:
        stmt = stmt.where(JourneyRun.step_id == query.step_id)
    rows, cursor = keyset_page(stmt, JourneyRun.id, query)
    return RunPage(items=[RunOut.model_validate(row) for row in rows], next_cursor=cursor)
