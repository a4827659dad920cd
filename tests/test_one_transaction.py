"""One way into the database per request or job: the webhooks' plain SQL (`voicecast.driver_sql`)
never opens a second connection beside the ORM session's. Once the ORM is in use it runs in the
session's own transaction (committed together, undone together, each seeing what the other
wrote); a context that began with plain SQL must commit it before the ORM begins, and is told
so loudly rather than deadlocking or half-committing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.helpers import create_tenant
from voicecast import driver_sql
from voicecast.extensions import db
from voicecast.models import Account

RENAME = "UPDATE accounts SET name = :name WHERE id = :account_id"
ZONE = "SELECT timezone FROM accounts WHERE id = :account_id"


def names(app, account_id: int) -> tuple[str, str]:
    """The account's name and time zone as a new request would read them."""
    with app.app_context():
        account = db.session.get(Account, account_id)
        return account.name, account.timezone


def account_of(app, runner, client) -> int:
    create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    with app.app_context():
        return db.session.scalar(select(Account.id).where(Account.name == "Garage Dupont"))


def test_plain_sql_after_the_orm_is_undone_with_it(app, runner, client):
    account_id = account_of(app, runner, client)
    before = names(app, account_id)
    with app.app_context():
        db.session.get(Account, account_id).timezone = "America/Martinique"
        db.session.flush()
        driver_sql.execute(RENAME, {"name": "Garage Martin", "account_id": account_id})
        _, rows = driver_sql.execute(ZONE, {"account_id": account_id})
        assert rows == [("America/Martinique",)]  # the plain SQL reads what the ORM wrote
        db.session.rollback()  # e.g. the job failed after both writes
    assert names(app, account_id) == before


def test_plain_sql_after_the_orm_is_committed_with_it(app, runner, client):
    account_id = account_of(app, runner, client)
    with app.app_context():
        db.session.get(Account, account_id).timezone = "America/Martinique"
        driver_sql.execute(RENAME, {"name": "Garage Martin", "account_id": account_id})
        driver_sql.commit()
    assert names(app, account_id) == ("Garage Martin", "America/Martinique")


def test_the_orm_may_not_begin_beside_uncommitted_plain_sql(app, runner, client):
    account_id = account_of(app, runner, client)
    before = names(app, account_id)
    with app.app_context():
        driver_sql.execute(RENAME, {"name": "Garage Martin", "account_id": account_id})
        with pytest.raises(driver_sql.DriverTransactionOpen):
            db.session.get(Account, account_id)  # a second connection: refused
        db.session.rollback()
    assert names(app, account_id) == before  # the request failed: nothing half-committed
    with app.app_context():
        driver_sql.execute(RENAME, {"name": "Garage Martin", "account_id": account_id})
        driver_sql.commit()
        db.session.get(Account, account_id).timezone = "America/Martinique"  # after: fine
        db.session.commit()
    assert names(app, account_id) == ("Garage Martin", "America/Martinique")


def test_a_context_holds_one_connection_whatever_it_uses(app, runner, client):
    account_id = account_of(app, runner, client)
    with app.app_context():
        pool = db.engine.pool
        before = pool.checkedout()
        db.session.get(Account, account_id)
        driver_sql.execute("SELECT 1", {})
        assert pool.checkedout() == before + 1
