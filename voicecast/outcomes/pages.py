"""The outcomes on the managers' pages: a campaign's results card, the sellers' results
columns (both read through template globals, so the pages' routes stay as they are), and a
journey's results page (`/journeys/<id>/results`), figures written the account's way."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from voicecast.dashboard import bp
from voicecast.extensions import db
from voicecast.journeys.models import Journey, JourneyRun, JourneyStep
from voicecast.models import Role, User
from voicecast.outcomes import report
from voicecast.outcomes.wording import results_texts


def written(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures and their money written in the page's language."""
    return {**figures, "texts": results_texts(figures)}


@bp.app_template_global()
def campaign_results(campaign_id: int) -> dict[str, Any]:
    """A campaign's results for its page, and the journey that made it (None: none)."""
    journey_id = db.session.scalar(
        select(JourneyStep.journey_id)
        .join(JourneyRun, JourneyRun.step_id == JourneyStep.id)
        .where(JourneyRun.campaign_id == campaign_id)
    )
    return {**written(report.campaign_report(campaign_id)), "journey_id": journey_id}


@bp.app_template_global()
def sellers_results() -> dict[int, dict[str, Any]]:
    """Each seller of the logged-in manager's account: their results, by seller id."""
    account_id = current_user.account_id
    ids = db.session.scalars(
        select(User.id).where(User.account_id == account_id, User.role == Role.SELLER)
    ).all()
    found = report.sellers_report(account_id, list(ids))
    return {seller_id: written(figures) for seller_id, figures in found.items()}


@bp.get("/journeys/<int:journey_id>/results")
@login_required
def journey_results(journey_id: int):
    journey = db.session.get(Journey, journey_id)
    if journey is None or journey.account_id != current_user.account_id:
        abort(404)
    steps = db.session.scalars(
        select(JourneyStep)
        .where(JourneyStep.journey_id == journey.id)
        .order_by(JourneyStep.position)
    ).all()
    found = report.journey_report(journey.id, [step.id for step in steps])
    by_step = {item["step_id"]: written(item) for item in found.pop("steps")}
    return render_template(
        "outcomes/journey.html",
        journey=journey,
        total=written(found),
        steps=[(step, by_step[step.id]) for step in steps],
    )
