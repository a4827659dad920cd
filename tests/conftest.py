"""Fixtures with real parts: a real Redis, SQLite and PostgreSQL databases migrated with
Alembic, and RQ jobs run by a real worker.

The `app` fixture runs each test on every configured database: SQLite always, PostgreSQL when
`TEST_POSTGRES_URL` is set (`make test` sets it when the server answers; CI requires it).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from redis import Redis
from rq import SimpleWorker

from voicecast import clock, create_app, embedded_redis
from voicecast.config import default_redis_url, normalize_database_url
from voicecast.extensions import db
from voicecast.proc import load_prctl, parent_death_signal_setter
from voicecast.queues import QUEUE_NAMES, get_queue
from voicecast.redis_client import get_redis

# Fixture modules that test modules load with `pytest_plugins` or import from directly.
pytest.register_assert_rewrite("tests.carrier_fixtures", "tests.browser_fixtures")


def database_backends() -> list[str]:
    backends = ["sqlite"]
    if os.environ.get("TEST_POSTGRES_URL"):
        backends.append("postgresql")
    return backends


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """REDIS_URL when set (its database is flushed between tests), else a server of our own."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    instance = tmp_path_factory.mktemp("redis")
    socket_path = embedded_redis.prepare(instance)
    with subprocess.Popen(
        [*embedded_redis.build_argv(instance), "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=parent_death_signal_setter(load_prctl()),  # no server left if pytest is killed
    ) as process:
        embedded_redis.wait_until_ready(socket_path, process)
        yield default_redis_url(instance)
        process.terminate()
        process.wait(timeout=10)


def postgres_schema_url(base_url: str, schema: str) -> str:
    """The URL with `search_path` set to `schema`, so this run has tables of its own."""
    url = sa.make_url(normalize_database_url(base_url))
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture(scope="session", params=database_backends())
def database_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    """A migrated, empty database: a SQLite file, or a fresh schema in PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        migrate(url)
        yield url
        return
    base = os.environ["TEST_POSTGRES_URL"]
    schema = f"vc_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(normalize_database_url(base))
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = postgres_schema_url(base, schema)
    try:
        migrate(url)
        yield url
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def migrate(url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture
def app(
    database_url: str, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    # Jobs build their own app from the environment, like a real worker: point it here too.
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("VOICECAST_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True})
    with app.app_context():
        get_redis().flushdb()
    yield app
    with app.app_context():
        db.session.remove()
        empty_all_tables()
        get_redis().flushdb()
        get_redis().close()
        db.engine.dispose()


def empty_all_tables() -> None:
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def set_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Stops the application's clock at an instant, for what runs in the test's own process (the
    test client's requests, jobs run there); processes the test starts keep the real clock."""

    def stop_at(moment: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: moment)

    return stop_at


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


def finished_count(queues: list) -> int:
    return sum(queue.finished_job_registry.count for queue in queues)


@pytest.fixture
def run_jobs(app: Flask):
    """Run every queued job with a real RQ worker in burst mode; returns how many ran."""

    def run() -> int:
        with app.app_context():
            connection: Redis = get_redis()
            queues = [get_queue(name) for name in QUEUE_NAMES]
            worker = SimpleWorker(queues, connection=connection)
            # Counted in the registries: RQ keeps the worker's own counters only in Redis, under
            # a key it deletes when a burst worker stops.
            before = finished_count(queues)
            worker.work(burst=True, with_scheduler=True)  # also runs due scheduled jobs
            failed = sum(queue.failed_job_registry.count for queue in queues)
            assert failed == 0, "a job failed; see the worker's log above"
            return finished_count(queues) - before

    yield run
    close_job_app()


def close_job_app() -> None:
    """Close the database connections of the application the jobs built (one per worker
    process, kept between jobs), so none is left open for the garbage collector."""
    from workers import context

    if context._app is not None:
        with context._app.app_context():
            db.engine.dispose()
        context._app = None
