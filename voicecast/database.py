"""Database sessions that cannot hold locks forever."""

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


def init_app(app: Flask) -> None:
    """Set PostgreSQL's session limits on every new connection of the app's engine."""
    with app.app_context():
        engine = db.engine
    if dialects.is_postgresql(engine):
        event.listen(engine, "connect", limit_idle_transactions)
