"""The dashboard's pages, for logged-in managers and admins of an account. A campaign's page
reads its figures again every few seconds (`figures.json`), so it moves without a reload."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from voicecast.dashboard import bp
from voicecast.dashboard.figures import STAGES, campaign_figures
from voicecast.dashboard.forecast_text import forecast_texts, warning_text
from voicecast.dashboard.people import contact_history, search_contacts, seller_lines
from voicecast.dashboard.registry_text import campaign_scrub_warnings, scrub_warning_text
from voicecast.dashboard.wording import day_names, labels, page_texts
from voicecast.delivery import controls
from voicecast.delivery.forecast import forecast
from voicecast.exports.deliveries import seller_names
from voicecast.extensions import db
from voicecast.follow_through.figures import seller_follow_through
from voicecast.i18n import gettext as _
from voicecast.journeys.asked import missing_recordings
from voicecast.models import Contact
from voicecast.models.base import utcnow
from voicecast.models.campaign import Campaign, CampaignStatus
from voicecast.rules.campaigns import rules_of
from voicecast.segments.warnings import campaign_warnings

CONTROLS = {"pause": controls.pause, "resume": controls.resume, "cancel": controls.cancel}
POLL_SECONDS = 2


class ActionForm(FlaskForm):
    """A button that changes something: a POST with the CSRF token."""


@bp.context_processor
def account_place() -> dict[str, str]:
    """The zone the pages write times in and the country whose numbers they write nationally:
    the logged-in user's account's."""
    if not current_user.is_authenticated:
        return {}
    account = current_user.account
    return {"zone": account.timezone, "country": account.country}


def own_campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.account_id != current_user.account_id:
        abort(404)
    return campaign


@bp.get("/campaigns")
@login_required
def campaigns():
    rows = db.session.scalars(
        select(Campaign)
        .where(Campaign.account_id == current_user.account_id)
        .order_by(Campaign.id.desc())
    ).all()
    figures = {campaign.id: campaign_figures(campaign) for campaign in rows}
    return render_template(
        "dashboard/campaigns.html", campaigns=rows, figures=figures, labels=labels()
    )


@bp.get("/campaigns/<int:campaign_id>")
@login_required
def campaign(campaign_id: int):
    row = own_campaign(campaign_id)
    figures = campaign_figures(row)
    zone = current_user.account.timezone
    return render_template(
        "dashboard/campaign.html",
        campaign=row,
        figures=figures,
        texts=page_texts(figures, zone),
        forecast=draft_forecast(row, zone),
        stages=STAGES,
        labels=labels(),
        form=ActionForm(),
        poll_ms=POLL_SECONDS * 1000,
        rules=rules_of(row).describe(),
        day_names=day_names(),
        registry_warnings=[scrub_warning_text(w) for w in campaign_scrub_warnings(row)],
        export_delimiter="comma" if current_user.account.country == "US" else "semicolon",
    )


def draft_forecast(campaign: Campaign, zone: str) -> dict | None:
    """A draft's forecast in words (the preview's), None once launched."""
    if campaign.status != CampaignStatus.DRAFT:
        return None
    texts = forecast_texts(forecast(campaign, utcnow()), campaign, zone)
    texts["warnings"] = [warning_text(found) for found in campaign_warnings(campaign)]
    return texts


@bp.get("/campaigns/<int:campaign_id>/figures.json")
@login_required
def campaign_figures_json(campaign_id: int):
    """The figures, and those written in words (the page shows them as they come)."""
    figures = campaign_figures(own_campaign(campaign_id))
    figures["texts"] = page_texts(figures, current_user.account.timezone)
    return jsonify(figures)


@bp.post("/campaigns/<int:campaign_id>/<any(pause, resume, cancel):action>")
@login_required
def control(campaign_id: int, action: str):
    row = own_campaign(campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        CONTROLS[action](row)
    except controls.NotNow:
        flash(_("Impossible maintenant : la campagne est {status}.").format(
            status=labels()["status"][row.status.value]), "error")  # fmt: skip
    else:
        flash(labels()["done"][action], "info")
    return redirect(url_for("dashboard.campaign", campaign_id=campaign_id))


@bp.get("/sellers")
@login_required
def sellers():
    account_id = current_user.account_id
    lines = seller_lines(account_id)
    return render_template(
        "dashboard/sellers.html", lines=lines, labels=labels(),
        missing=missing_recordings(account_id),
        follow=seller_follow_through(current_user.account, [line.seller.id for line in lines]),
    )  # fmt: skip


@bp.get("/contacts")
@login_required
def contacts():
    text = request.args.get("q", "")
    after = request.args.get("after", type=int)
    account = current_user.account
    rows, next_after = search_contacts(account.id, account.country, text, after)
    return render_template("dashboard/contacts.html", contacts=rows, q=text, next_after=next_after,
                           sellers=seller_names(account.id))  # fmt: skip


@bp.get("/contacts/<int:contact_id>")
@login_required
def contact(contact_id: int):
    row = db.session.get(Contact, contact_id)
    if row is None or row.account_id != current_user.account_id:
        abort(404)
    return render_template(
        "dashboard/contact.html",
        contact=row,
        history=contact_history(row),
        labels=labels(),
        sellers=seller_names(row.account_id),
    )
