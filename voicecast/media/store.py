"""The recordings storage of the current application, and where each file of a recording lives."""

from __future__ import annotations

from flask import current_app

from recordings import ProcessingSettings
from recordings.storage import Storage, storage_from_url

EXTENSION_KEY = "voicecast.recordings_storage"


def get_storage() -> Storage:
    """One storage per application, built on first use from RECORDINGS_DIR."""
    storage = current_app.extensions.get(EXTENSION_KEY)
    if storage is None:
        storage = storage_from_url(current_app.config["RECORDINGS_DIR"])
        current_app.extensions[EXTENSION_KEY] = storage
    return storage


def recording_key(account_id: int, recording_id: int, name: str) -> str:
    return f"accounts/{account_id}/recordings/{recording_id}/{name}"


def processing_settings() -> ProcessingSettings:
    config = current_app.config
    return ProcessingSettings(
        target_lufs=config["RECORDING_TARGET_LUFS"],
        true_peak_dbtp=config["RECORDING_TRUE_PEAK_DBTP"],
        min_speech_seconds=config["RECORDING_MIN_SPEECH_SECONDS"],
        max_duration_seconds=config["RECORDING_MAX_SECONDS"],
        max_bytes=config["RECORDING_MAX_BYTES"],
    )
