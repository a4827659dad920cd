"""The recordings storage of the current application, and where each file of a recording lives.

RECORDINGS_STORAGE_URL (else the folder RECORDINGS_DIR) names it: a local folder by default, or
`s3://bucket/prefix` with AWS_ENDPOINT_URL and AWS_REGION. `init_app` checks it as the
application starts, so a wrong bucket, endpoint or credentials stop the start with a message
naming the setting, rather than the first upload failing.
"""

from __future__ import annotations

from flask import Flask, current_app

from recordings import ProcessingSettings
from recordings.storage import Storage, storage_from_url

EXTENSION_KEY = "voicecast.recordings_storage"


def storage_location(config) -> str:
    """The storage setting in force: RECORDINGS_STORAGE_URL, else the folder RECORDINGS_DIR."""
    return config.get("RECORDINGS_STORAGE_URL") or config["RECORDINGS_DIR"]


def build_storage(config) -> Storage:
    return storage_from_url(
        storage_location(config),
        endpoint_url=config.get("AWS_ENDPOINT_URL"),
        region=config.get("AWS_REGION"),
    )


def init_app(app: Flask) -> None:
    """Build the application's storage and check it can be used: raises StorageMisconfigured
    (naming the setting to fix) or StorageUnavailable otherwise."""
    storage = build_storage(app.config)
    storage.check()
    app.extensions[EXTENSION_KEY] = storage


def get_storage() -> Storage:
    """The application's storage, checked as it started (`init_app`)."""
    storage = current_app.extensions.get(EXTENSION_KEY)
    if storage is None:
        storage = build_storage(current_app.config)
        current_app.extensions[EXTENSION_KEY] = storage
    return storage


def recording_key(account_id: int, recording_id: int, name: str) -> str:
    return f"accounts/{account_id}/recordings/{recording_id}/{name}"


def voicemail_key(account_id: int, call_id: int) -> str:
    """Where a callback's voicemail is kept once copied from the carrier."""
    return f"accounts/{account_id}/voicemails/{call_id}.wav"


def processing_settings() -> ProcessingSettings:
    config = current_app.config
    return ProcessingSettings(
        target_lufs=config["RECORDING_TARGET_LUFS"],
        true_peak_dbtp=config["RECORDING_TRUE_PEAK_DBTP"],
        min_speech_seconds=config["RECORDING_MIN_SPEECH_SECONDS"],
        max_duration_seconds=config["RECORDING_MAX_SECONDS"],
        max_bytes=config["RECORDING_MAX_BYTES"],
    )
