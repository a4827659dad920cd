"""The import job: read a customer file too big to read during its upload request."""

from __future__ import annotations

from sqlalchemy import select

from voicecast.extensions import db
from voicecast.imports.columns import BadMapping
from voicecast.imports.run import import_csv
from voicecast.imports.source import UnreadableFile
from voicecast.models import Account, ContactImport, ImportStatus
from voicecast.models.base import utcnow
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
    data = record.data or b""
    account = db.session.get(Account, record.account_id)
    try:
        report = import_csv(account, data, record.options)
    except (UnreadableFile, BadMapping) as error:
        db.session.rollback()
        finish(import_id, ImportStatus.FAILED, error=str(error))
        return f"failed: {error}"
    finish(import_id, ImportStatus.DONE, report=report)
    job_logger(__name__).info(
        "import %s: %s",
        import_id,
        {k: report[k] for k in ("rows", "created", "updated", "rejected")},
    )
    return "done"


def finish(import_id: int, status: ImportStatus, **fields) -> None:
    record = db.session.get(ContactImport, import_id)
    record.status, record.finished_at, record.data = status, utcnow(), None
    for name, value in fields.items():
        setattr(record, name, value)
    db.session.commit()
