"""Taking a seller's upload in: store the original, record it, queue its processing.

Either all of it happens or none: a failure removes the stored file and the row again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import ColumnElement, and_, func, select
from werkzeug.datastructures import FileStorage

from voicecast.errors import ApiError
from voicecast.extensions import db
from voicecast.jobs import PROCESS_RECORDING
from voicecast.media.store import get_storage, recording_key
from voicecast.models import Purpose, Recording, RecordingStatus, User
from voicecast.models.base import utcnow
from voicecast.queues import job_pending

log = logging.getLogger(__name__)


def read_upload(upload: FileStorage, max_bytes: int) -> bytes:
    """The upload's bytes, refusing more than `max_bytes` without reading past the limit."""
    data = upload.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        megabytes = max_bytes / (1024 * 1024)
        raise ApiError(
            413,
            f"The file is larger than {megabytes:g} MB; record a shorter message.",
            code="too_large",
            details={"max_bytes": max_bytes},
        )
    if not data:
        raise ApiError(422, "The file is empty.", code="empty_file")
    return data


def same_message(seller_id: int, purpose: Purpose, step_id: int | None) -> ColumnElement[bool]:
    """The versions of one message: a seller's, for a purpose (and a journey step's own)."""
    return and_(
        Recording.seller_id == seller_id,
        Recording.purpose == purpose,
        Recording.step_id.is_not_distinct_from(step_id),
    )


def next_version(seller_id: int, purpose: Purpose, step_id: int | None = None) -> int:
    stmt = select(func.max(Recording.version)).where(same_message(seller_id, purpose, step_id))
    return (db.session.scalar(stmt) or 0) + 1


def accept_upload(
    seller: User, purpose: Purpose, upload: FileStorage, step_id: int | None = None
) -> Recording:
    """Store `upload` as the seller's next version for `purpose` (of journey step `step_id`
    for purpose journey_step) and queue its processing."""
    data = read_upload(upload, current_app.config["RECORDING_MAX_BYTES"])
    recording = Recording(
        account_id=seller.account_id,
        seller_id=seller.id,
        purpose=purpose,
        step_id=step_id,
        version=next_version(seller.id, purpose, step_id),
        status=RecordingStatus.UPLOADED,
        active=False,
        original_filename=(upload.filename or "")[:255] or None,
        original_content_type=(upload.mimetype or "")[:100] or None,
        original_bytes=len(data),
    )
    db.session.add(recording)
    db.session.flush()
    recording.original_key = recording_key(seller.account_id, recording.id, "original")
    storage = get_storage()
    try:
        storage.put(recording.original_key, data, recording.original_content_type or "")
        db.session.commit()
    except Exception:
        db.session.rollback()
        storage.delete(recording.original_key)
        raise
    queue_processing(recording)
    return recording


def process_job_id(recording_id: int) -> str:
    return f"recording-{recording_id}"


def enqueue_processing(recording_id: int) -> None:
    PROCESS_RECORDING.enqueue(recording_id, job_id=process_job_id(recording_id))


def queue_processing(recording: Recording) -> None:
    try:
        enqueue_processing(recording.id)
    except RedisError as error:
        log.error("could not queue recording %s: %s", recording.id, error)
        remove_recording(recording)
        raise ApiError(503, "Processing is unavailable right now; please send it again.") from None


def remove_recording(recording: Recording) -> None:
    """Delete the recording's files and its row."""
    storage = get_storage()
    for key in (recording.original_key, recording.carrier_key, recording.preview_key):
        if key:
            storage.delete(key)
    db.session.delete(recording)
    db.session.commit()


def activate(recording: Recording) -> None:
    """Make a ready recording the one its seller's campaigns play for its purpose."""
    if recording.status != RecordingStatus.READY:
        raise ApiError(409, "Only a ready recording can be made active.")
    others = select(Recording).where(
        same_message(recording.seller_id, recording.purpose, recording.step_id),
        Recording.active.is_(True),
        Recording.id != recording.id,
    )
    for other in db.session.scalars(others):
        other.active = False
    recording.active = True


def requeue_stranded(grace: timedelta = timedelta(minutes=1)) -> list[int]:
    """Queue again the recordings whose processing job is gone (Redis restarted or emptied, a
    worker killed mid-job): the database says what still needs doing. Returns their ids."""
    stmt = select(Recording.id).where(
        Recording.status.in_((RecordingStatus.UPLOADED, RecordingStatus.PROCESSING)),
        Recording.created_at < utcnow() - grace,
    )
    stranded = [rid for rid in db.session.scalars(stmt) if not job_pending(process_job_id(rid))]
    for recording_id in stranded:
        enqueue_processing(recording_id)
    return stranded
