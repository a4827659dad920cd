"""The pages whose URL is their own authorisation, made for a dashboard world's shop: Marie's
recording link, the voicemail Jeanne left, and a processed recording's signed files."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from tests.dashboard_world import CUSTOMER

API = "/api/v1"
# A WAV header and a little silence: what the signed carrier URL serves.
CARRIER_WAV = bytes.fromhex("52494646") + b"\x00" * 60


@dataclass(frozen=True)
class TokenPages:
    recording_page: str  # /r/<token>
    voicemail_page: str  # /voicemails/<token>
    carrier_file: str  # /recordings/<id>-<signature>.wav
    call_back_page: str  # /cb/<token>
    secrets: tuple[str, ...]  # the tokens and signature in those paths

    @property
    def paths(self) -> tuple[str, str, str, str]:
        return (self.recording_page, self.voicemail_page, self.carrier_file, self.call_back_page)


def make_token_pages(app, client, shop) -> TokenPages:
    """Marie's recording link (her processed message on it), and Jeanne's callback given a
    voicemail left on the carrier."""
    marie = shop.sellers["Marie"]["id"]
    links = f"{API}/sellers/{marie}/recording-links"
    link = client.post(links, headers=shop.admin.headers, json={})
    assert link.status_code == 201, link.json
    recording_page = urlsplit(link.json["url"]).path
    with app.app_context():
        from voicecast.callbacks.notify import voicemail_token
        from voicecast.extensions import db
        from voicecast.follow_through.links import token_of
        from voicecast.media.signing import media_url
        from voicecast.media.store import get_storage, recording_key
        from voicecast.models import InboundCall, Purpose, Recording, RecordingStatus

        recording = Recording(
            account_id=shop.admin.account_id, seller_id=marie, purpose=Purpose.VOICEMAIL,
            version=1, status=RecordingStatus.READY, active=True, original_bytes=0,
            carrier_sha256=hashlib.sha256(CARRIER_WAV).hexdigest(), duration_seconds=6.0,
        )  # fmt: skip
        db.session.add(recording)
        db.session.flush()
        recording.carrier_key = recording_key(shop.admin.account_id, recording.id, "carrier.wav")
        get_storage().put(recording.carrier_key, CARRIER_WAV, "audio/wav")
        carrier_file = urlsplit(media_url(recording, "carrier")).path
        call = db.session.query(InboundCall).filter_by(from_number=CUSTOMER).one()
        call.recording_url = "http://127.0.0.1:9/2010-04-01/Accounts/AC0/Recordings/RE1"
        call.recording_seconds = 7
        voicemail_page = f"/voicemails/{voicemail_token(call.id)}"
        call_back_page = f"/cb/{token_of(call)}"
        db.session.commit()
    secrets = (
        recording_page.rsplit("/", 1)[1],
        voicemail_page.rsplit("/", 1)[1],
        carrier_file.rsplit("/", 1)[1].removesuffix(".wav"),
        call_back_page.rsplit("/", 1)[1],
    )
    return TokenPages(recording_page, voicemail_page, carrier_file, call_back_page, secrets)
