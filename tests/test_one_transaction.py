"""One way into the database per request or job: the webhooks' plain SQL (`voicecast.hotsql`)
runs in the ORM session's own transaction, so what a request or job writes either way is
committed together or undone together, and each sees what the other wrote."""

from __future__ import annotations

from sqlalchemy import select

from tests.helpers import create_tenant
from voicecast import hotsql
from voicecast.extensions import db
from voicecast.models import Account

RENAME = "UPDATE accounts SET name = :name WHERE id = :account_id"


def names(app, account_id: int) -> tuple[str, str]:
    """The account's name and time zone as a new request would read them."""
    with app.app_context():
        account = db.session.get(Account, account_id)
        return account.name, account.timezone


def account_of(app, runner, client) -> int:
    create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    with app.app_context():
        return db.session.scalar(select(Account.id).where(Account.name == "Garage Dupont"))


def test_plain_sql_and_orm_writes_are_undone_together(app, runner, client):
    account_id = account_of(app, runner, client)
    before = names(app, account_id)
    with app.app_context():
        hotsql.execute(RENAME, {"name": "Garage Martin", "account_id": account_id})
        account = db.session.get(Account, account_id)
        assert account.name == "Garage Martin"  # the ORM reads what the plain SQL wrote
        account.timezone = "America/Martinique"
        db.session.flush()
        db.session.rollback()  # e.g. the request failed after both writes
    assert names(app, account_id) == before


def test_plain_sql_and_orm_writes_are_committed_together(app, runner, client):
    account_id = account_of(app, runner, client)
    with app.app_context():
        db.session.get(Account, account_id).timezone = "America/Martinique"
        db.session.flush()
        hotsql.execute(RENAME, {"name": "Garage Martin", "account_id": account_id})
        _, rows = hotsql.execute(
            "SELECT timezone FROM accounts WHERE id = :account_id", {"account_id": account_id}
        )
        assert rows == [("America/Martinique",)]  # the plain SQL reads what the ORM wrote
        hotsql.commit()
    assert names(app, account_id) == ("Garage Martin", "America/Martinique")


def test_a_context_holds_one_connection_whatever_it_uses(app, runner, client):
    account_id = account_of(app, runner, client)
    with app.app_context():
        pool = db.engine.pool
        before = pool.checkedout()
        db.session.get(Account, account_id)
        hotsql.execute("SELECT 1", {})
        assert pool.checkedout() == before + 1
