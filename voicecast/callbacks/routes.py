"""`/voicemails/<token>`: a callback's voicemail, for the seller following the link in their
notification. The signed, expiring token is the authorisation (a phone's browser has no
session); the audio is fetched from the carrier with the account's credentials."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from voicecast.callbacks.notify import call_of_token
from voicecast.carrier import CarrierError, carrier_client
from voicecast.extensions import db
from voicecast.models import InboundCall

bp = Blueprint("inbound_pages", __name__, url_prefix="/voicemails")


@bp.get("/<token>")
def voicemail(token: str) -> Response:
    call_id = call_of_token(token)
    call = db.session.get(InboundCall, call_id) if call_id is not None else None
    if call is None or not call.recording_url:
        abort(404)
    try:
        audio = carrier_client().recording_audio(call.recording_url)
    except CarrierError:
        abort(502)
    response = Response(audio, mimetype="audio/wav")
    response.cache_control.private = True
    response.cache_control.max_age = 3600
    return response
