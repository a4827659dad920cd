"""Plain SQL straight on the driver, for the few statements run on every webhook of every call,
with one connection and one transaction per request or job at any moment.

Through SQLAlchemy's execution machinery one small UPDATE costs about 0.5 ms of CPU; straight
through the driver it costs 0.15 ms, and a call sends five webhooks. Going through the ORM
session's transaction for every webhook would cost about 0.4 ms more again (its connection
and commit machinery), so:

- a context that has not used the ORM (a status webhook, a machine's AMD verdict, the dial
  claim) runs its statements on a pooled driver connection of its own, and `commit` commits
  them and gives the connection back;
- a context whose ORM session holds a transaction runs them on the session's own connection,
  inside that transaction (`commit` commits both, a rollback undoes both);
- the ORM may not begin while this context's own driver transaction is open: that would be a
  second connection and a second transaction (and a deadlock on SQLite). `commit` first; the
  session refuses to begin otherwise (`DriverTransactionOpen`).

The SQL is written once, portable between PostgreSQL and SQLite (named `:params`, no casts),
with every value bound as a plain int or str, or a timestamp from `dialects.bind_datetime`.
Everything else goes through SQLAlchemy as usual.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from flask import Flask, g
from sqlalchemy import event
from sqlalchemy.orm import Session

from voicecast import dialects
from voicecast.extensions import db

G_KEY = "_driver_sql_connection"
NAMED = re.compile(r"(?<![:\w]):(\w+)")


class DriverTransactionOpen(RuntimeError):
    """The ORM was about to open a second transaction beside this context's driver one."""


@cache
def for_driver(sql: str, paramstyle: str) -> str:
    """`sql` with its `:name` parameters in the driver's own style."""
    if paramstyle == "pyformat":
        return NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))
    return sql  # sqlite3 takes :name as it is


def connection() -> Any:
    """This context's driver connection: its own while the ORM is not in use, else the one
    under the ORM session's transaction. The ORM does not see what runs here: a row it loaded
    before a driver statement changed it is stale (refresh it, or load it after)."""
    conn = g.get(G_KEY)
    if conn is not None:
        return conn
    if db.session.registry.has() and db.session().in_transaction():
        return db.session.connection().connection.driver_connection
    conn = db.engine.raw_connection()
    setattr(g, G_KEY, conn)
    return conn


def execute(sql: str, params: dict[str, Any]) -> tuple[int, list[tuple]]:
    """Run `sql` in this context's transaction; its rowcount and any rows it returned."""
    cursor = connection().cursor()
    try:
        cursor.execute(for_driver(sql, dialects.paramstyle()), params)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.rowcount, rows
    finally:
        cursor.close()


def commit_without_waiting_for_disk() -> None:
    """Let this context's transaction commit without waiting for its WAL flush (PostgreSQL
    `synchronous_commit = off`, for this transaction only). Only for what the carrier reported
    and will tell again (status reports; never the AMD answer's "message played" mark): a
    server crash can lose the last fraction of a second of such commits, never half of one,
    and the reconciler asks the carrier about any call left in flight. It keeps disk stalls
    (fsync bursts, seen as 1-2 s of slow webhooks) off the webhooks."""
    if dialects.is_postgresql():
        execute("SET LOCAL synchronous_commit TO OFF", {})


def commit() -> None:
    """Commit this context's transaction (the driver one, or the session's with everything the
    ORM wrote in it) and give a connection of its own back to the pool."""
    conn = g.pop(G_KEY, None)
    if conn is None:
        db.session.commit()
        return
    try:
        conn.commit()
    finally:
        conn.close()


def rollback() -> None:
    """Undo this context's transaction (the driver one, or the session's with everything the ORM
    wrote in it) and give a connection of its own back to the pool."""
    conn = g.pop(G_KEY, None)
    if conn is None:
        db.session.rollback()
        return
    try:
        conn.rollback()
    finally:
        conn.close()


def release(_exc: BaseException | None = None) -> None:
    """Give this context's own connection back (app teardown); the pool rolls back what was
    not committed."""
    conn = g.pop(G_KEY, None)
    if conn is not None:
        conn.close()


@event.listens_for(Session, "after_begin")
def refuse_a_second_transaction(_session: Session, _transaction: Any, _connection: Any) -> None:
    if g and g.get(G_KEY) is not None:
        raise DriverTransactionOpen(
            "driver statements are uncommitted in this context: driver_sql.commit() before the ORM"
        )


def init_app(app: Flask) -> None:
    app.teardown_appcontext(release)
