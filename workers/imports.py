"""The import job: read a customer file too big to read during its upload request
(voicecast/imports/queueing.py)."""

from __future__ import annotations

from voicecast.imports.queueing import run_queued_import
from workers.context import job


@job
def run_import(import_id: int) -> str:
    """Import the file of `import_id` once: a second run finds it done (or running)."""
    return run_queued_import(import_id)
