"""What drops brought: for a campaign, a journey (its campaigns) or each seller, the drops
(messages left, people reached), callbacks, attributed outcomes by kind, revenue per currency,
the cost of the calls (the carrier's prices stored with the attempts) and the cost per
appointment. A few grouped queries per scope, whatever its size."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, func, select

from voicecast.callbacks.stats import REACHED, is_callback
from voicecast.delivery.pricing import amounts_by_currency
from voicecast.extensions import db
from voicecast.journeys.models import JourneyRun, JourneyStep
from voicecast.models import Attempt, Delivery, InboundCall
from voicecast.outcomes.models import Outcome, OutcomeKind
from voicecast.rules.eligibility import reached_carrier


@dataclass(frozen=True)
class Scope:
    """The rows a report counts: a condition on each table, and optionally the column of each
    that splits it (one report per value: per seller)."""

    deliveries: ColumnElement[bool]
    callbacks: ColumnElement[bool]
    outcomes: ColumnElement[bool]
    keys: tuple[Any, Any, Any] | None = None  # Delivery's, InboundCall's, Outcome's


@dataclass
class Results:
    drops: int = 0
    callbacks: int = 0
    outcomes: Counter = field(default_factory=Counter)  # kind -> count
    revenue: Counter = field(default_factory=Counter)  # currency -> cents
    cost: Counter = field(default_factory=Counter)  # the carrier's unit -> amount
    calls: int = 0
    priced_calls: int = 0


def campaigns_scope(campaign_ids: Any) -> Scope:
    """Campaigns by id: a list, or a subquery of ids."""
    return Scope(
        Delivery.campaign_id.in_(campaign_ids),
        InboundCall.campaign_id.in_(campaign_ids),
        Outcome.campaign_id.in_(campaign_ids),
    )


def journey_campaigns(journey_id: int, step_id: int | None = None) -> Any:
    """The ids of the campaigns a journey's steps made (one step's, with `step_id`)."""
    stmt = (
        select(JourneyRun.campaign_id)
        .join(JourneyStep, JourneyStep.id == JourneyRun.step_id)
        .where(JourneyStep.journey_id == journey_id, JourneyRun.campaign_id.is_not(None))
    )
    if step_id is not None:
        stmt = stmt.where(JourneyRun.step_id == step_id)
    return stmt


def sellers_scope(account_id: int) -> Scope:
    """The account's rows, split by seller (the drop's, the callback's, the outcome's)."""
    return Scope(
        Delivery.account_id == account_id,
        InboundCall.account_id == account_id,
        Outcome.account_id == account_id,
        keys=(Delivery.seller_id, InboundCall.seller_id, Outcome.seller_id),
    )


def rows_by_key(stmt, key, *columns, where, group=()) -> list[tuple]:
    """`stmt`'s rows (key, columns...), grouped by `key` (if any) and `group`."""
    keyed = [key] if key is not None else []
    query = stmt.add_columns(*keyed, *columns).where(where).group_by(*keyed, *group)
    rows = db.session.execute(query).all()
    return [tuple(row) if keyed else (None, *row) for row in rows]


def results(scope: Scope) -> dict[Any, Results]:
    """The figures of each key of `scope` (a single one, None, when it has no keys)."""
    keys = scope.keys or (None, None, None)
    found: dict[Any, Results] = defaultdict(Results)
    reached = Delivery.status.in_(REACHED)
    for key, count in rows_by_key(
        select().select_from(Delivery), keys[0], func.count(), where=scope.deliveries & reached
    ):
        found[key].drops = count
    callbacks = rows_by_key(
        select().select_from(InboundCall),
        keys[1],
        func.count(),
        where=scope.callbacks & is_callback(),
    )
    for key, count in callbacks:
        found[key].callbacks = count
    outcome_rows = rows_by_key(
        select().select_from(Outcome),
        keys[2],
        Outcome.kind,
        Outcome.currency,
        func.count(),
        func.sum(Outcome.amount_cents),
        where=scope.outcomes & Outcome.touch.is_not(None),
        group=(Outcome.kind, Outcome.currency),
    )
    for key, kind, currency, count, cents in outcome_rows:
        found[key].outcomes[OutcomeKind(kind)] += count
        if cents is not None:
            found[key].revenue[currency] += int(cents)
    calls = rows_by_key(
        select().select_from(Attempt).join(Delivery, Delivery.id == Attempt.delivery_id),
        keys[0],
        Attempt.price_unit,
        func.count(),
        func.count(Attempt.price),
        func.sum(Attempt.price),
        where=scope.deliveries & reached_carrier(),
        group=(Attempt.price_unit,),
    )
    for key, unit, placed, priced, amount in calls:
        found[key].calls += placed
        found[key].priced_calls += priced
        if amount is not None:
            found[key].cost[unit or "?"] += float(amount)
    return dict(found) if scope.keys else {None: found[None]}


def money_list(amounts: dict[str, float]) -> list[dict[str, Any]]:
    return [{"currency": unit, "amount": round(amount, 2)} for unit, amount in amounts.items()]


def figures(found: Results) -> dict[str, Any]:
    """A report as the API answers it: the cost in PRICE_CURRENCY where PRICE_EXCHANGE_RATES
    converts it (else in the carrier's currency, apart), never two currencies added."""
    currency = current_app.config["PRICE_CURRENCY"]
    rates = current_app.config["PRICE_EXCHANGE_RATES"]
    converted = amounts_by_currency(list(found.cost.items()), currency, rates)
    cost = {unit: amount for unit, amount in converted.items() if unit in found.cost or amount}
    appointments = found.outcomes[OutcomeKind.APPOINTMENT_BOOKED]
    per_appointment = {unit: amount / appointments for unit, amount in cost.items()
                       if appointments}  # fmt: skip
    revenue = {unit: cents / 100 for unit, cents in sorted(found.revenue.items())}
    return {
        "drops": found.drops,
        "callbacks": found.callbacks,
        "appointments": appointments,
        "repair_orders": found.outcomes[OutcomeKind.REPAIR_ORDER],
        "vehicles_sold": found.outcomes[OutcomeKind.VEHICLE_SOLD],
        "revenue": money_list(revenue),
        "calls": found.calls,
        "priced_calls": found.priced_calls,
        "cost": money_list(cost),
        "cost_per_appointment": money_list(per_appointment) if appointments else [],
    }


def campaign_report(campaign_id: int) -> dict[str, Any]:
    return figures(results(campaigns_scope([campaign_id]))[None])


def journey_report(journey_id: int, step_ids: list[int]) -> dict[str, Any]:
    """The journey's figures over all its campaigns, and each step's."""
    total = figures(results(campaigns_scope(journey_campaigns(journey_id)))[None])
    steps = [
        {
            "step_id": step_id,
            **figures(results(campaigns_scope(journey_campaigns(journey_id, step_id)))[None]),
        }
        for step_id in step_ids
    ]
    return {**total, "steps": steps}


def sellers_report(account_id: int, seller_ids: list[int]) -> dict[int, dict[str, Any]]:
    found = results(sellers_scope(account_id))
    return {seller_id: figures(found.get(seller_id, Results())) for seller_id in seller_ids}
