"""Audio jobs: turn a seller's upload into the telephone-ready file, or say why not
(voicecast/media/processing.py)."""

from __future__ import annotations

from voicecast.media import processing
from workers.context import job


@job
def process_recording(recording_id: int) -> str:
    """Process recording `recording_id` once: ready, or rejected with the reason."""
    return processing.process_recording(recording_id)
