"""Plain SQL straight on the driver, for the few statements run on every webhook of every call,
inside the ORM session's own transaction.

Through SQLAlchemy's execution machinery one small UPDATE costs about 0.5 ms of CPU; straight
through the driver it costs 0.15 ms, and a call sends five webhooks. The statements run on the
driver connection under `db.session` (one connection and one transaction per request or job,
whatever mix of ORM and plain SQL it uses: `commit` commits both, a rollback or an error
undoes both). The SQL is written once, portable between PostgreSQL and SQLite (named
`:params`, no casts), with every value bound as a plain int or str, or a timestamp from
`dialects.bind_datetime`. Everything else goes through SQLAlchemy as usual.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from voicecast import dialects
from voicecast.extensions import db

NAMED = re.compile(r"(?<![:\w]):(\w+)")


@cache
def for_driver(sql: str, paramstyle: str) -> str:
    """`sql` with its `:name` parameters in the driver's own style."""
    if paramstyle == "pyformat":
        return NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))
    return sql  # sqlite3 takes :name as it is


def connection() -> Any:
    """The driver connection under this context's ORM session, its transaction begun. The ORM
    does not see what runs here: a row loaded before a hot statement changed it is stale
    (`db.session.refresh` it, or load it after)."""
    return db.session.connection().connection.driver_connection


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
    """Commit this context's transaction (plain SQL and ORM alike)."""
    db.session.commit()
