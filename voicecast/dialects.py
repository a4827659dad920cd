"""What differs between PostgreSQL (production) and SQLite (development, tests), in one place:
code elsewhere asks here rather than reading `dialect.name` itself.

- `is_postgresql()` / `is_sqlite()`: for the few features only one of them has (COPY, JSONB
  containment, `synchronous_commit`).
- `insert_for(model)`: the dialect's INSERT, which has ON CONFLICT DO NOTHING.
- `skip_locked(select)`: FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has no row locks (one
  writer at a time), where the statement's own guards keep a claim atomic.
- `for_writing(select)`: rows read to be written from what they say (a read-modify-write):
  FOR UPDATE on PostgreSQL, the database's write lock taken first on SQLite.
- `bind_datetime` / `bind_date`: a timestamp or a date as the driver takes it, for the plain
  SQL of `voicecast.driver_sql` (what SQLAlchemy would send: SQLite keeps them as text).
- `epoch_seconds(column)`: seconds since 1970 of a timestamp column, in SQL.

Migrations keep their own checks (`op.get_bind().dialect`): they are history, run as written.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, cast, func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, Engine

from voicecast.extensions import db
from voicecast.models.base import UTCDateTime

POSTGRESQL = "postgresql"
SQLITE = "sqlite"


def name(engine: Engine | None = None) -> str:
    """The app's database dialect ("postgresql" or "sqlite"); `engine` before an app context."""
    return (engine or db.engine).dialect.name


def is_postgresql(engine: Engine | None = None) -> bool:
    return name(engine) == POSTGRESQL


def is_sqlite(engine: Engine | None = None) -> bool:
    return name(engine) == SQLITE


def insert_for(model: Any) -> Any:
    """INSERT into `model`'s table in the dialect's own form (it has `on_conflict_do_nothing`)."""
    return (postgresql if is_postgresql() else sqlite).insert(model)


def skip_locked(stmt: Select) -> Select:
    """`stmt` locking the rows it reads, skipping those another transaction holds, where the
    database has row locks (PostgreSQL)."""
    return stmt.with_for_update(skip_locked=True) if is_postgresql() else stmt


def for_writing(stmt: Select) -> Select:
    """`stmt`, whose rows this transaction will write from what it reads, so that no other
    writer commits a change to them in between (which the write would undo): FOR UPDATE on
    PostgreSQL (order the rows by id, so two such readers never wait on each other in a
    cycle); SQLite locks the whole database for a writer, so its write lock is taken now, by a
    write of nothing to the statement's table, and held until the transaction ends."""
    if is_postgresql():
        return stmt.with_for_update()
    table = stmt.get_final_froms()[0]
    db.session.execute(text(f"UPDATE {table.name} SET id = id WHERE 0"))
    return stmt


def epoch_seconds(column: Any) -> Any:
    """Seconds since 1970 of a timestamp column, in the database's own SQL."""
    if is_postgresql():
        return cast(func.extract("epoch", column), Integer)
    return cast(func.strftime("%s", column), Integer)


def bind_datetime(value: datetime) -> Any:
    """`value` as the driver takes it for our UTC timestamp columns (what SQLAlchemy would
    send: SQLite stores them as text without a zone)."""
    processor = _datetime_processor(db.engine.dialect)
    return processor(value) if processor else value


@cache
def _datetime_processor(dialect: Dialect):
    return UTCDateTime().bind_processor(dialect)


def bind_date(value: date) -> Any:
    """SQLite keeps dates as ISO text; PostgreSQL takes the date."""
    return value.isoformat() if is_sqlite() else value


def paramstyle() -> str:
    """The driver's parameter style ("pyformat" for psycopg, "named" or "qmark" for sqlite3)."""
    return db.engine.dialect.paramstyle
