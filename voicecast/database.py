"""Database sessions that cannot hold locks forever, and that keep nothing between transactions
behind a pooler in transaction mode (`DATABASE_POOL_MODE=transaction`).

Through PgBouncer in transaction mode each transaction may run on another server connection,
so nothing may outlive a transaction on the server: no `SET` (only `SET LOCAL`), no advisory
lock held across transactions, no `LISTEN`, no temporary table used by two transactions, and
no server-side prepared statement. Voicecast uses none of the first four (its locks are rows
and Redis keys, the import's temporary table is dropped at commit); psycopg prepares a
statement it has run five times, so that is turned off here, and so is the session's
`idle_in_transaction_session_timeout`, which the pooler or the role must then hold (README,
"PostgreSQL behind a pooler").
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event

from voicecast import dialects
from voicecast.extensions import db

# PostgreSQL ends a session left idle inside a transaction this long (its client hung, or a
# process that inherited its socket outlived it), which frees the rows it locked. No request or
# job of ours stays idle in a transaction for more than one carrier request (seconds).
IDLE_IN_TRANSACTION_TIMEOUT = "60s"


def limit_idle_transactions(dbapi_connection: Any, _record: Any) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET idle_in_transaction_session_timeout = '{IDLE_IN_TRANSACTION_TIMEOUT}'")
    dbapi_connection.commit()


def never_prepare(dbapi_connection: Any, _record: Any) -> None:
    """No server-side prepared statements on this connection: the next transaction may run on
    a server connection that never saw the statement prepared (or saw another of the same name
    prepared by another client)."""
    dbapi_connection.prepare_threshold = None


def init_app(app: Flask) -> None:
    """Set PostgreSQL's session limits on every new connection of the app's engine, or, behind a
    pooler in transaction mode, keep every connection free of session state."""
    with app.app_context():
        engine = db.engine
    if not dialects.is_postgresql(engine):
        return
    if app.config.get("DATABASE_POOL_MODE") == "transaction":
        event.listen(engine, "connect", never_prepare)
    else:
        event.listen(engine, "connect", limit_idle_transactions)
