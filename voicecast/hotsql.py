"""Plain SQL straight on a pooled driver connection, for the few statements run on every
webhook of every call.

Through SQLAlchemy's execution machinery one small UPDATE and its COMMIT cost about 0.5 ms of
CPU; straight through the driver they cost 0.15 ms, and a call sends five webhooks. The SQL is
written once, portable between PostgreSQL and SQLite (named `:params`, no casts), with every
value bound as a plain int or str, or a timestamp from `bind_datetime`. Everything else goes
through SQLAlchemy as usual.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any

from flask import Flask, g
from sqlalchemy.engine import Dialect

from voicecast.extensions import db
from voicecast.models.base import UTCDateTime

G_KEY = "_hotsql_connection"
NAMED = re.compile(r"(?<![:\w]):(\w+)")


@cache
def for_driver(sql: str, paramstyle: str) -> str:
    """`sql` with its `:name` parameters in the driver's own style."""
    if paramstyle == "pyformat":
        return NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))
    return sql  # sqlite3 takes :name as it is


def connection() -> Any:
    """This app context's own pooled driver connection (no ORM session around it)."""
    conn = g.get(G_KEY)
    if conn is None:
        conn = db.engine.raw_connection()
        setattr(g, G_KEY, conn)
    return conn


def execute(sql: str, params: dict[str, Any]) -> tuple[int, list[tuple]]:
    """Run `sql` in this app context's transaction; its rowcount and any rows it returned."""
    cursor = connection().cursor()
    try:
        cursor.execute(for_driver(sql, db.engine.dialect.paramstyle), params)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.rowcount, rows
    finally:
        cursor.close()


def commit_without_waiting_for_disk() -> None:
    """Let this app context's transaction commit without waiting for its WAL flush (PostgreSQL
    `synchronous_commit = off`, for this transaction only). Only for what the carrier reported
    and will tell again (status reports; never the AMD answer's "message played" mark): a
    server crash can lose the last fraction of a second of such commits, never half of one,
    and the reconciler asks the carrier about any call left in flight. It keeps disk stalls
    (fsync bursts, seen as 1-2 s of slow webhooks) off the webhooks."""
    if db.engine.dialect.name == "postgresql":
        execute("SET LOCAL synchronous_commit TO OFF", {})


def bind_datetime(value: datetime) -> Any:
    """`value` as the driver takes it for our UTC timestamp columns (what SQLAlchemy would
    send: SQLite stores them as text without a zone)."""
    dialect = db.engine.dialect
    processor = _datetime_processor(dialect)
    return processor(value) if processor else value


@cache
def _datetime_processor(dialect: Dialect):
    return UTCDateTime().bind_processor(dialect)


def commit() -> None:
    """Commit this app context's transaction and give its connection back to the pool."""
    conn = g.pop(G_KEY, None)
    if conn is not None:
        try:
            conn.commit()
        finally:
            conn.close()


def release(_exc: BaseException | None = None) -> None:
    """Give the connection back (app teardown); the pool rolls back what was not committed."""
    conn = g.pop(G_KEY, None)
    if conn is not None:
        conn.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(release)
