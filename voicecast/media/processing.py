"""Processing a seller's upload (the body of `workers.media.process_recording`): the
telephone-ready file and its preview, or the reason it cannot be used."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from recordings import ProcessedRecording, RecordingRejected
from recordings import process_recording as run_pipeline
from voicecast.extensions import db
from voicecast.media.store import get_storage, processing_settings, recording_key
from voicecast.media.uploads import activate, same_message
from voicecast.models import Recording, RecordingStatus
from voicecast.models.base import utcnow
from voicecast.observability.logs import job_logger


def process_recording(recording_id: int) -> str:
    """Process recording `recording_id` once: ready (and active unless a newer version is) or
    rejected with the reason. A recording already final is left as it is. Commits."""
    log = job_logger(__name__)
    recording = db.session.get(Recording, recording_id)
    if recording is None or recording.status.final:
        return "nothing to do"
    recording.status = RecordingStatus.PROCESSING
    db.session.commit()
    storage = get_storage()
    original = storage.get(recording.original_key)
    try:
        result = run_pipeline(
            original,
            processing_settings(),
            filename=recording.original_filename,
            content_type=recording.original_content_type,
        )
    except RecordingRejected as rejection:
        reject(recording, rejection)
        log.info("recording %s rejected: %s", recording_id, rejection.code)
        return f"rejected: {rejection.code}"
    store_result(recording, result)
    if not newer_version_active(recording):
        activate(recording)
    db.session.commit()
    log.info(
        "recording %s ready (%.1f s, %.1f LUFS)",
        recording_id,
        result.duration_seconds,
        result.loudness_lufs,
    )
    return "ready"


def reject(recording: Recording, rejection: RecordingRejected) -> None:
    """Keep the row with the reason, drop the unusable original file."""
    recording.status = RecordingStatus.REJECTED
    recording.rejection_code = rejection.code
    recording.rejection_message = rejection.message[:500]
    recording.rejection_details = dict(rejection.details)
    recording.processed_at = utcnow()
    db.session.commit()
    get_storage().delete(recording.original_key)


def store_result(recording: Recording, result: ProcessedRecording) -> None:
    storage = get_storage()
    carrier_key = recording_key(recording.account_id, recording.id, "carrier.wav")
    preview_key = recording_key(recording.account_id, recording.id, "preview.mp3")
    storage.put(carrier_key, result.carrier_wav, "audio/wav")
    storage.put(preview_key, result.preview_mp3, "audio/mpeg")
    recording.carrier_key = carrier_key
    recording.carrier_sha256 = hashlib.sha256(result.carrier_wav).hexdigest()
    recording.preview_key = preview_key
    recording.preview_sha256 = hashlib.sha256(result.preview_mp3).hexdigest()
    recording.duration_seconds = result.duration_seconds
    recording.speech_seconds = result.speech_seconds
    recording.loudness_lufs = result.loudness_lufs
    recording.true_peak_dbtp = result.true_peak_dbtp
    recording.status = RecordingStatus.READY
    recording.processed_at = utcnow()


def newer_version_active(recording: Recording) -> bool:
    stmt = select(Recording.id).where(
        same_message(recording.seller_id, recording.purpose, recording.step_id),
        Recording.active.is_(True),
        Recording.version > recording.version,
    )
    return db.session.scalar(stmt) is not None
