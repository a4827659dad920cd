"""`/cb/<token>`: the page a seller's missed-callback text links to: who called (and their
voicemail, when they left one), and one button that rings the seller, then the customer from
the dealership's number (`placing.py`). `/cb/<token>/<id>` follows that call back until it
ends. No login: the signed, expiring link is the authorisation (`links.py`); the page speaks
the account's language (French for FR accounts, English for US ones)."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from voicecast import clock
from voicecast.callbacks.notify import voicemail_token
from voicecast.callbacks.routes import minutes_seconds
from voicecast.callbacks.wording import spoken_number
from voicecast.extensions import db
from voicecast.follow_through.links import LinkRefused, call_of_token
from voicecast.follow_through.models import CallBack
from voicecast.follow_through.placing import start_call_back, under_way
from voicecast.follow_through.rules import customer_zones, refusal, refusal_code
from voicecast.follow_through.wording import TEXTS, texts_for
from voicecast.follow_through.words import customer_of, outcome_words, refusal_words
from voicecast.i18n import LOCALES, account_locale, current_locale
from voicecast.models import Account, Campaign, InboundCall, User

bp = Blueprint("call_back_pages", __name__, url_prefix="/cb")
REFRESH_SECONDS = 2


class CallBackForm(FlaskForm):
    """The button: a POST with the CSRF token."""


def linked_call(token: str) -> tuple[InboundCall, Account]:
    """The callback the link names, or the refusal page (404 forged, 410 expired)."""
    try:
        call = call_of_token(token, clock.now())
    except LinkRefused as refused:
        texts = TEXTS[current_locale()]
        status = 410 if refused.reason == "expired" else 404
        abort(status, description=texts[refused.reason])
    account = db.session.get(Account, call.account_id)
    if request.args.get("lang") not in LOCALES:
        g.locale = account_locale(account.country)
    return call, account


def facts(call: InboundCall, account: Account) -> dict:
    """What the page says of the callback, the same before and after the press."""
    country = account.country
    campaign = db.session.get(Campaign, call.campaign_id) if call.campaign_id else None
    seller = db.session.get(User, call.seller_id)
    audio = None
    if call.recording_url:
        audio = url_for("inbound_pages.voicemail_audio", token=voicemail_token(call.id))
    return {
        "t": texts_for(country),
        "call": call,
        "customer": customer_of(call, country),
        "number": spoken_number(call.from_number, country),
        "dealership_number": spoken_number(call.to_number, country),
        "seller_phone": spoken_number(seller.phone, country) if seller and seller.phone else "",
        "campaign": campaign,
        "zone": account.timezone,
        "audio_url": audio,
        "length": minutes_seconds(call.recording_seconds),
    }


@bp.get("/<token>")
def page(token: str) -> str:
    call, account = linked_call(token)
    now = clock.now()
    refused = refusal(call, now)
    reason = None
    if refused is not None:
        zones = customer_zones(call, account)
        reason = refusal_words(
            refusal_code(refused), customer_of(call, account.country), account.country,
            refused.zone or zones[0], refused.opens,
        )  # fmt: skip
    running = under_way(call, now)
    return render_template(
        "follow_through/call_back.html",
        **facts(call, account),
        refused=reason,
        running=running,
        form=CallBackForm(),
        token=token,
    )


@bp.post("/<token>")
def press(token: str):
    call, _ = linked_call(token)
    if not CallBackForm().validate_on_submit():
        abort(400)
    row = start_call_back(call, clock.now())
    return redirect(url_for("call_back_pages.follow", token=token, call_back_id=row.id))


@bp.get("/<token>/<int:call_back_id>")
def follow(token: str, call_back_id: int) -> str:
    """The call back as it goes: ringing, then how it ended (the page reloads meanwhile)."""
    call, account = linked_call(token)
    row = db.session.get(CallBack, call_back_id)
    if row is None or row.inbound_call_id != call.id:
        abort(404)  # another callback's, or another account's
    return render_template(
        "follow_through/called.html",
        **facts(call, account),
        row=row,
        outcome=outcome_words(row, account.country),
        refresh=REFRESH_SECONDS if row.outcome is None else None,
        token=token,
    )
