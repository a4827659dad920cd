"""`/recordings/<token>.wav|.mp3`: processed recordings for the carrier and for previews.

These are the only public paths under /recordings; the signature in the token is the
authorisation. Files never change under a URL, so they are cacheable for good.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from voicecast.extensions import db
from voicecast.media.signing import Kind, verify_token
from voicecast.media.store import get_storage
from voicecast.models import Recording, RecordingStatus

bp = Blueprint("media", __name__, url_prefix="/recordings")

CONTENT_TYPES = {"carrier": "audio/wav", "preview": "audio/mpeg"}


def serve(token: str, kind: Kind) -> Response:
    recording = verify_token(token, kind, lambda rid: db.session.get(Recording, rid))
    if recording is None or recording.status != RecordingStatus.READY:
        abort(404)
    key = recording.carrier_key if kind == "carrier" else recording.preview_key
    sha = recording.carrier_sha256 if kind == "carrier" else recording.preview_sha256
    response = Response(get_storage().get(key), mimetype=CONTENT_TYPES[kind])
    response.set_etag(sha)
    response.cache_control.public = True
    response.cache_control.max_age = 365 * 86400
    response.cache_control.immutable = True
    return response.make_conditional(request)


@bp.get("/<token>.wav")
def carrier_file(token: str) -> Response:
    return serve(token, "carrier")


@bp.get("/<token>.mp3")
def preview_file(token: str) -> Response:
    return serve(token, "preview")
