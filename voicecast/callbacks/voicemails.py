"""Callback voicemails kept in the recordings storage (a folder, or the bucket every node
shares): copied from the carrier by a job once the caller has left one, so that the seller's
link works from any web node and after the carrier deletes its copy. A voicemail whose copy is
not there yet (its job lost with Redis, or still queued) is copied when first played."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from voicecast.carrier import carrier_client
from voicecast.carrier.errors import PermanentCarrierError
from voicecast.extensions import db
from voicecast.jobs import KEEP_VOICEMAIL
from voicecast.media.store import get_storage, voicemail_key
from voicecast.models import InboundCall

log = logging.getLogger(__name__)


def key_of(call: InboundCall) -> str:
    return voicemail_key(call.account_id, call.id)


def keep(call: InboundCall) -> str:
    """Copy the call's voicemail into the storage unless it is there already (idempotent);
    raises CarrierError when the carrier cannot give it."""
    storage, key = get_storage(), key_of(call)
    if storage.exists(key):
        return "kept already"
    audio = carrier_client().recording_audio(call.recording_url)
    storage.put(key, audio, "audio/wav")
    return f"kept ({len(audio)} bytes)"


def keep_voicemail(call_id: int) -> str:
    """The job's body: keep callback `call_id`'s voicemail. One the carrier no longer has (it
    refuses for good) is given up: trying again cannot bring it back. A passing failure raises,
    and the voicemail's page copies it when first played."""
    call = db.session.get(InboundCall, call_id)
    if call is None or not call.recording_url:
        return "no voicemail"
    try:
        return keep(call)
    except PermanentCarrierError as error:
        log.warning("callback %s: the carrier refused its voicemail (%s)", call_id, error)
        return f"not at the carrier: {error}"


def request_copy(call: InboundCall) -> None:
    """Queue the copy of the call's voicemail, at best: the webhook's facts are committed, and
    the voicemail's page copies it when first played if this job never runs."""
    try:
        KEEP_VOICEMAIL.enqueue(call.id, job_id=f"keep-voicemail-{call.id}")
    except (RedisError, OSError) as error:
        log.warning("callback %s: voicemail copy not queued (%s)", call.id, error)
