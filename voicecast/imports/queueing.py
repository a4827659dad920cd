"""Imports read by a worker: queued under an id of their own, and queued again when the
database says an import is unfinished and no job is reading it (Redis lost with its queue, a
worker killed mid-file). The file stays stored until it has been read, and a second job for an
import already taken finds nothing to do, so queuing one again is always safe."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from voicecast.extensions import db
from voicecast.imports.run import finish, read_import, stopped
from voicecast.jobs import RUN_IMPORT
from voicecast.models import ContactImport, ImportStatus
from voicecast.models.base import utcnow
from voicecast.observability.logs import job_logger
from voicecast.queues import job_pending

# A queued import left this long without a job is queued again.
GRACE = timedelta(minutes=1)
# A running import touches its record at every window it stores (well under a second):
# untouched this long, its worker is gone.
ABANDONED = timedelta(minutes=10)


def import_job_id(import_id: int) -> str:
    return f"import-{import_id}"


def enqueue_import(import_id: int) -> None:
    RUN_IMPORT.enqueue(import_id, job_id=import_job_id(import_id))


def run_queued_import(import_id: int) -> str:
    """Read the file of `import_id` once: a second run finds it done (or running). Commits."""
    stmt = select(ContactImport).where(ContactImport.id == import_id).with_for_update()
    record = db.session.scalar(stmt)
    if record is None or record.status != ImportStatus.QUEUED:
        return "nothing to import"
    record.status = ImportStatus.RUNNING
    db.session.commit()
    processes = current_app.config["IMPORT_PROCESSES"]
    record = read_import(import_id, record.data or b"", processes)
    if record.error:
        return f"failed: {record.error}"
    counts = {key: record.report[key] for key in ("rows", "created", "updated", "rejected")}
    job_logger(__name__).info("import %s: %s", import_id, counts)
    return "done"


def requeue_stranded_imports(now: datetime | None = None) -> list[int]:
    """Queue again the imports the database says are unfinished and no job will finish; an
    import that was being read during a request that never ended is failed (its file was not
    kept). Returns the ids queued again."""
    now = now or utcnow()
    stmt = select(
        ContactImport.id, ContactImport.status, ContactImport.updated_at,
        ContactImport.data.is_not(None).label("has_file"),
    ).where(
        ContactImport.status.in_((ImportStatus.QUEUED, ImportStatus.RUNNING)),
        ContactImport.updated_at < now - GRACE,
    )  # fmt: skip
    queued = []
    for import_id, status, touched, has_file in db.session.execute(stmt).all():
        if status == ImportStatus.RUNNING and touched >= now - ABANDONED:
            continue  # being read
        if status == ImportStatus.QUEUED and job_pending(import_job_id(import_id)):
            continue  # waiting for a worker
        if not has_file:
            finish(import_id, None, stopped(import_id))
            continue
        db.session.execute(
            update(ContactImport)
            .where(ContactImport.id == import_id, ContactImport.status == status)
            .values(status=ImportStatus.QUEUED, updated_at=now)
        )
        db.session.commit()
        enqueue_import(import_id)
        queued.append(import_id)
    return queued
