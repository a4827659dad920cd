"""Unguessable, signed URLs for processed recordings, fetched by the carrier without a session.

A URL names the recording and the exact file (its SHA-256), signed with SECRET_KEY: a new version
gets a new URL, and a URL cannot be forged or pointed at another file.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

from flask import current_app

from voicecast.constant_time import same_secret
from voicecast.media.public_urls import public_url
from voicecast.models import Recording

Kind = Literal["carrier", "preview"]


def signature(recording_id: int, kind: Kind, file_sha256: str) -> str:
    message = f"{kind}:{recording_id}:{file_sha256}".encode()
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:40]


def media_token(recording: Recording, kind: Kind) -> str | None:
    sha = recording.carrier_sha256 if kind == "carrier" else recording.preview_sha256
    return file_token(recording.id, kind, sha)


def file_token(recording_id: int, kind: Kind, file_sha256: str | None) -> str | None:
    if file_sha256 is None:
        return None
    return f"{recording_id}-{signature(recording_id, kind, file_sha256)}"


def media_url(recording: Recording, kind: Kind) -> str | None:
    """The absolute public URL of the recording's carrier WAV or preview MP3, once processed."""
    sha = recording.carrier_sha256 if kind == "carrier" else recording.preview_sha256
    return file_url(recording.id, kind, sha)


def file_url(recording_id: int, kind: Kind, file_sha256: str | None) -> str | None:
    """`media_url` from the recording's id and file hash alone."""
    token = file_token(recording_id, kind, file_sha256)
    if token is None:
        return None
    endpoint = "media.carrier_file" if kind == "carrier" else "media.preview_file"
    return public_url(endpoint, token=token)


def verify_token(token: str, kind: Kind, lookup) -> Recording | None:
    """The recording `token` signs for, or None when it is malformed, unknown or tampered."""
    recording_id, _, sig = token.partition("-")
    if not recording_id.isdigit() or len(recording_id) > 12 or not sig:
        return None
    recording = lookup(int(recording_id))
    if recording is None:
        return None
    expected = media_token(recording, kind)
    if expected is None or not same_secret(expected, token):
        return None
    return recording
