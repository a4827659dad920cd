"""The dial claim: the one statement that moves an attempt `created -> dialing`, committed
right before its carrier request, and so the last word on whether a call may be placed: only
while its campaign runs, and only when no rule of `eligibility.held_back` holds its number
back (the do-not-call list and, under a preset, the legal basis, the silence after a refusal,
the rolling attempt cap). The dial job checks the calling window just before it.

The statement is compiled from those very SQLAlchemy conditions, once per preset and
database, into plain SQL with named placeholders, and run through `voicecast.driver_sql` (the
busiest path after the webhooks: no ORM machinery per call)."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import literal_column, not_, select, update
from sqlalchemy.orm import aliased

from voicecast import dialects, driver_sql
from voicecast.extensions import db
from voicecast.models import Attempt, AttemptState, Contact, Delivery
from voicecast.rules.eligibility import (
    Moment,
    campaign_runs,
    held_back,
    moment_values,
)
from voicecast.rules.presets import Preset

ATTEMPTS = Attempt.__table__
# The rules' view of the moment as placeholders (`:rule_today`, ...), bound at each claim.
PLACEHOLDERS = Moment(**{f.name: literal_column(f":rule_{f.name}") for f in fields(Moment)})


def claim_statement(preset: Preset | None):
    """The claim as a SQLAlchemy UPDATE, with placeholders for what each claim binds."""
    delivery, contact = aliased(Delivery), aliased(Contact)
    rules = held_back(delivery.account_id, delivery.phone, contact, preset, PLACEHOLDERS)
    # No rule holds: each condition is true or false (never NULL), so NOT of each is the
    # verdicts' "no first reason", written as plain conjuncts the planner can turn into
    # index lookups and anti-joins (a CASE made PostgreSQL hash the whole contacts and
    # suppressions tables on a fresh schema).
    may_be_called = (
        select(delivery.id)
        .outerjoin(contact, contact.id == delivery.contact_id)
        .where(delivery.id == ATTEMPTS.c.delivery_id, *(not_(rule) for rule, _ in rules))
        .exists()
    )
    return (
        update(ATTEMPTS)
        .where(
            ATTEMPTS.c.id == literal_column(":attempt_id"),
            ATTEMPTS.c.state == AttemptState.CREATED,
            campaign_runs(ATTEMPTS.c.campaign_id),
            may_be_called,
        )
        .values(
            state=AttemptState.DIALING,
            dialed_at=literal_column(":now"),
            rules=literal_column(":rules"),
        )
    )


@cache
def claim_sql(preset: Preset | None, dialect_name: str) -> str:
    """The claim statement under `preset` (None: the campaign's own window only) as plain
    SQL for the database `dialect_name` (constants inline, `:name` placeholders)."""
    compiled = claim_statement(preset).compile(
        dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


def claim_params(attempt_id: int, preset: Preset | None, now: datetime) -> dict[str, Any]:
    """The values a claim binds: the attempt, the moment, the rules' name, and the rules'
    view of the moment (`PLACEHOLDERS`' names)."""
    params: dict[str, Any] = {
        "attempt_id": attempt_id,
        "now": dialects.bind_datetime(now),
        "rules": preset.name if preset else "none",
    }
    for name, value in moment_values(preset, now).items():
        params[f"rule_{name}"] = bind_value(value)
    return params


def bind_value(value: Any) -> Any:
    """`value` as the driver takes it (dialects.py: timestamps as SQLAlchemy sends them, dates
    as SQLite keeps them)."""
    if isinstance(value, datetime):
        return dialects.bind_datetime(value)
    if isinstance(value, date):
        return dialects.bind_date(value)
    return value


def claim(attempt_id: int, preset: Preset | None, now: datetime) -> bool:
    """Claim the attempt for dialing (committed); False when it may not be dialed."""
    sql = claim_sql(preset, dialects.name())
    claimed, _ = driver_sql.execute(sql, claim_params(attempt_id, preset, now))
    driver_sql.commit()
    return claimed == 1
