"""Audio, pure: decode, trim, loudness, telephone formats, quality checks, storage.

This package imports neither Flask nor the rest of Voicecast. The entry point is
`process_recording(data, settings)`, which returns a `ProcessedRecording` or raises
`RecordingRejected` with one of `REJECTION_CODES`; `storage_from_url` gives the `Storage` the
processed files go to.

Modules: `ffmpeg` (finding and running ffmpeg), `decode` (sniffing and decoding uploads),
`analysis` (loudness, true peak, speech, clipping), `normalize` (gain and true-peak limiter),
`encode` (mu-law WAV and MP3 preview), `checks` (rejections), `settings`, `pipeline`, `storage`.
"""

from .checks import REJECTION_CODES, RecordingRejected
from .pipeline import ProcessedRecording, process_recording
from .settings import ProcessingSettings
from .storage import (
    InvalidKey,
    LocalStorage,
    ObjectNotFound,
    Storage,
    StorageError,
    StorageNotAvailable,
    storage_from_url,
)

__all__ = [
    "REJECTION_CODES",
    "InvalidKey",
    "LocalStorage",
    "ObjectNotFound",
    "ProcessedRecording",
    "ProcessingSettings",
    "RecordingRejected",
    "Storage",
    "StorageError",
    "StorageNotAvailable",
    "process_recording",
    "storage_from_url",
]
