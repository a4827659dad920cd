"""`/recordings/<token>.wav|.mp3`: processed recordings for the carrier and for previews.

These are the only public paths under /recordings; the signature in the token is the
authorisation. Files never change under a URL, so they are cacheable for good. The file is
streamed from the storage (a folder or a bucket), so any web node serves any URL: the carrier
gets this signed URL rather than a bucket's presigned one, which would expire (7 days at most)
and change from call to call, defeating the carrier's media cache, and would need the bucket
to be reachable from the carrier.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort

from voicecast.extensions import db
from voicecast.media.serving import stream_file
from voicecast.media.signing import Kind, verify_token
from voicecast.media.store import get_storage
from voicecast.models import Recording, RecordingStatus

bp = Blueprint("media", __name__, url_prefix="/recordings")

CONTENT_TYPES = {"carrier": "audio/wav", "preview": "audio/mpeg"}
ONE_YEAR_S = 365 * 86400


def cache_for_good(response: Response) -> None:
    response.cache_control.public = True
    response.cache_control.max_age = ONE_YEAR_S
    response.cache_control.immutable = True


def serve(token: str, kind: Kind) -> Response:
    recording = verify_token(token, kind, lambda rid: db.session.get(Recording, rid))
    if recording is None or recording.status != RecordingStatus.READY:
        abort(404)
    key = recording.carrier_key if kind == "carrier" else recording.preview_key
    sha = recording.carrier_sha256 if kind == "carrier" else recording.preview_sha256
    return stream_file(
        get_storage(), key, CONTENT_TYPES[kind], sha, recording.processed_at, cache_for_good
    )


@bp.get("/<token>.wav")
def carrier_file(token: str) -> Response:
    return serve(token, "carrier")


@bp.get("/<token>.mp3")
def preview_file(token: str) -> Response:
    return serve(token, "preview")
