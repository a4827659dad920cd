"""The import job: read a customer file too big to read during its upload request."""

from __future__ import annotations

from sqlalchemy import select

from voicecast.extensions import db
from voicecast.imports.run import read_import
from voicecast.models import ContactImport, ImportStatus
from workers.context import job, job_logger


@job
def run_import(import_id: int) -> str:
    """Import the file of `import_id` once: a second run finds it done (or running)."""
    stmt = select(ContactImport).where(ContactImport.id == import_id).with_for_update()
    record = db.session.scalar(stmt)
    if record is None or record.status != ImportStatus.QUEUED:
        return "nothing to import"
    record.status = ImportStatus.RUNNING
    db.session.commit()
    record = read_import(import_id, record.data or b"")
    if record.error:
        return f"failed: {record.error}"
    counts = {key: record.report[key] for key in ("rows", "created", "updated", "rejected")}
    job_logger(__name__).info("import %s: %s", import_id, counts)
    return "done"
