"""`/voicemails/<token>`: a callback's voicemail, for the seller following the link in their
notification: a page with a player, the caller, the campaign and a call-back button, and the
audio behind it. The signed, expiring token is the authorisation (a phone's browser has no
session); the audio is streamed from the recordings storage, where a job copies it from the
carrier (`voicemails.py`; copied here on first play when that job has not run yet)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, render_template, request, url_for

from recordings.storage import StorageError
from voicecast.callbacks import voicemails
from voicecast.callbacks.notify import call_of_token
from voicecast.callbacks.wording import contact_name, spoken_number
from voicecast.carrier import CarrierError
from voicecast.extensions import db
from voicecast.i18n import LOCALES, account_locale
from voicecast.media.serving import stream_file
from voicecast.media.store import get_storage
from voicecast.models import Account, Campaign, Contact, InboundCall

bp = Blueprint("inbound_pages", __name__, url_prefix="/voicemails")


def voicemail_of(token: str) -> InboundCall:
    call = call_of_token(token)
    if call is None or not call.recording_url:
        abort(404)
    return call


def minutes_seconds(seconds: int | None) -> str:
    """ "0:07": a length as players write it."""
    return "{}:{:02d}".format(*divmod(seconds or 0, 60))


@bp.get("/<token>")
def voicemail(token: str) -> str:
    """The page the seller's text links to, in the account's language."""
    call = voicemail_of(token)
    account = db.session.get(Account, call.account_id)
    if request.args.get("lang") not in LOCALES:
        g.locale = account_locale(account.country)
    contact = db.session.get(Contact, call.contact_id) if call.contact_id else None
    campaign = db.session.get(Campaign, call.campaign_id) if call.campaign_id else None
    return render_template(
        "callbacks/voicemail.html",
        call=call,
        caller=contact_name(contact, call.from_number, account.country),
        number=spoken_number(call.from_number, account.country),
        campaign=campaign,
        zone=account.timezone,
        length=minutes_seconds(call.recording_seconds),
        audio_url=url_for("inbound_pages.voicemail_audio", token=token),
    )


@bp.get("/<token>/audio")
def voicemail_audio(token: str) -> Response:
    """The recording as WAV, with byte ranges (a player reads its length, and seeks)."""
    call = voicemail_of(token)
    try:
        voicemails.keep(call)
    except CarrierError:
        abort(502)
    except StorageError:
        abort(503)
    etag = call.recording_sid or f"voicemail-{call.id}"
    return stream_file(
        get_storage(), voicemails.key_of(call), "audio/wav", etag, call.started_at, private_hour
    )


def private_hour(response: Response) -> None:
    """The seller's browser may keep it an hour; no shared cache may."""
    response.cache_control.private = True
    response.cache_control.max_age = 3600
