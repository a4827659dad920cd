"""Imports that something stopped: an error on our side ends the import failed and says so,
and an import whose Redis job or worker was lost is read all the same (the database says what
is unfinished; the file is kept until read)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests import test_contact_import as imports
from voicecast.extensions import db
from voicecast.models import ContactImport, ImportStatus
from voicecast.models.base import utcnow
from voicecast.redis_client import get_redis

API = "/api/v1"
admin = imports.admin  # the account's admin (a fixture)
upload = imports.upload


@pytest.fixture
def database_refusing(app):
    """The database refuses any contact with this number (a trigger), as it would refuse a
    row for a reason the import did not foresee."""
    phone = "+33612345679"
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            statements = [
                "CREATE TRIGGER refuse_contact BEFORE INSERT ON contacts"
                f" WHEN NEW.phone = '{phone}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            ]
            undo = ["DROP TRIGGER refuse_contact"]
        else:
            statements = [
                "CREATE FUNCTION refuse_contact() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN IF NEW.phone = '{phone}' THEN RAISE EXCEPTION 'refused'; END IF;"
                " RETURN NEW; END $$",
                "CREATE TRIGGER refuse_contact BEFORE INSERT ON contacts"
                " FOR EACH ROW EXECUTE FUNCTION refuse_contact()",
            ]
            undo = ["DROP TRIGGER refuse_contact ON contacts", "DROP FUNCTION refuse_contact()"]
        with db.engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    yield phone
    with app.app_context(), db.engine.begin() as connection:
        for statement in undo:
            connection.exec_driver_sql(statement)


def test_an_import_stopped_by_an_unexpected_error_ends_failed_and_says_so(
    app, client, admin, run_jobs, database_refusing
):
    rows = "".join(f"06123456{n:02d};Lima\n" for n in range(60, 99))
    data = ("Téléphone;Nom\n" + rows).encode()
    app.config["IMPORT_INLINE_BYTES"] = 10  # read by a worker
    made = upload(client, admin, data)
    assert made.status_code == 202
    with pytest.raises(AssertionError, match="a job failed"):
        run_jobs()  # the job fails, as jobs do: its record says so
    state = client.get(f"{API}/contacts/imports/{made.json['id']}", headers=admin.headers).json
    assert state["status"] == "failed" and state["finished_at"] is not None
    assert state["error"].startswith("L'import s'est arrêté sur une erreur de notre côté")

    app.config["IMPORT_INLINE_BYTES"] = 1_000_000  # read during the request: a 500...
    made = upload(client, admin, data)
    assert made.status_code == 500
    with app.app_context():
        statuses = db.session.scalars(select(ContactImport.status).order_by(ContactImport.id))
        assert list(statuses) == [ImportStatus.FAILED] * 2  # ...and no import left "running"


def queued_import(app, client, admin, phones: range) -> int:
    """An import left to a worker (not run yet); its id."""
    app.config["IMPORT_INLINE_BYTES"] = 10
    data = ("Téléphone;Nom\n" + "".join(f"06123456{n:02d};Lima\n" for n in phones)).encode()
    made = upload(client, admin, data)
    assert made.status_code == 202
    return made.json["id"]


def minutes_ago(minutes: int):
    return utcnow() - timedelta(minutes=minutes)


def set_import(app, import_id: int, **values) -> None:
    with app.app_context():
        db.session.execute(
            update(ContactImport).where(ContactImport.id == import_id).values(**values)
        )
        db.session.commit()


def test_imports_lost_with_redis_or_their_worker_are_read_all_the_same(
    app, client, admin, run_jobs
):
    from workers.__main__ import revive

    lost_queue = queued_import(app, client, admin, range(10, 15))
    killed = queued_import(app, client, admin, range(20, 27))
    reading = queued_import(app, client, admin, range(30, 32))
    with app.app_context():
        get_redis().flushdb()  # every job gone with Redis
    set_import(app, lost_queue, updated_at=minutes_ago(2))
    # A worker killed mid-file: the import says running, and has not moved for 11 minutes.
    set_import(app, killed, status=ImportStatus.RUNNING, updated_at=minutes_ago(11))
    # One still being read (it touched its record a minute ago): left alone.
    set_import(app, reading, status=ImportStatus.RUNNING, updated_at=minutes_ago(1))

    revive(app)  # a worker's periodic pass
    run_jobs()
    state = {
        import_id: client.get(f"{API}/contacts/imports/{import_id}", headers=admin.headers).json
        for import_id in (lost_queue, killed, reading)
    }
    assert state[lost_queue]["status"] == "done" and state[lost_queue]["report"]["created"] == 5
    assert state[killed]["status"] == "done" and state[killed]["report"]["created"] == 7
    assert state[reading]["status"] == "running"


def test_an_import_whose_request_never_ended_is_failed_not_left_queued(app, client, admin):
    from workers.__main__ import revive

    # Read during a request (its file is not kept) that never answered: the process died.
    with app.app_context():
        record = ContactImport(account_id=admin.account_id, filename="clients.csv", options={})
        db.session.add(record)
        db.session.commit()
        import_id = record.id
    set_import(app, import_id, updated_at=minutes_ago(2))
    revive(app)
    state = client.get(f"{API}/contacts/imports/{import_id}", headers=admin.headers).json
    assert state["status"] == "failed"
    assert state["error"].startswith("L'import s'est arrêté sur une erreur de notre côté")
