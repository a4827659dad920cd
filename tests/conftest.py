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
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from redis import Redis
from rq import Queue
from rq.job import Job

from voicecast import clock, create_app, embedded_redis
from voicecast.config import default_redis_url, normalize_database_url
from voicecast.extensions import db
from voicecast.job_worker import JobWorker
from voicecast.jobs import JOBS
from voicecast.proc import load_prctl, parent_death_signal_setter
from voicecast.queues import QUEUE_NAMES, get_queue
from voicecast.redis_client import database_of, get_redis, with_database

# Fixture modules that test modules load with `pytest_plugins` or import from directly.
pytest.register_assert_rewrite(
    "tests.carrier_fixtures", "tests.browser_fixtures", "tests.dashboard_world"
)


def database_backends() -> list[str]:
    backends = ["sqlite"]
    if os.environ.get("TEST_POSTGRES_URL"):
        backends.append("postgresql")
    return backends


def xdist_worker_number() -> int:
    """0 for the first pytest-xdist worker (gw0) or a run without xdist, 1 for gw1, ..."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw"))


def redis_database_of_worker(url: str, worker: int) -> str:
    """REDIS_URL's database for the first worker, the next ones for the others: each worker
    flushes only its own."""
    number = database_of(url) + worker
    if number > 15:
        raise pytest.UsageError(
            f"REDIS_URL={url} leaves no database for xdist worker gw{worker} (Redis has 0-15): "
            "name a lower database, or run fewer workers (-n)."
        )
    return with_database(url, number)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """REDIS_URL when set (a database per xdist worker, flushed between tests), else a server of
    our own for this worker."""
    if os.environ.get("REDIS_URL"):
        yield redis_database_of_worker(os.environ["REDIS_URL"], xdist_worker_number())
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


class MigratedDatabases:
    """This process's migrated, empty databases, made the first time a test asks for each: a
    SQLite file, and a schema of its own in PostgreSQL (so xdist workers never share one)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.urls: dict[str, str] = {}
        self.schemas: list[str] = []

    def url(self, backend: str) -> str:
        if backend not in self.urls:
            self.urls[backend] = self.make_sqlite() if backend == "sqlite" else self.make_postgres()
        return self.urls[backend]

    def make_sqlite(self) -> str:
        url = f"sqlite:///{self.folder / 'test.sqlite3'}"
        migrate(url)
        return url

    def make_postgres(self) -> str:
        base = os.environ["TEST_POSTGRES_URL"]
        schema = f"vc_test_{uuid.uuid4().hex[:10]}"
        with postgres_admin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        self.schemas.append(schema)
        url = postgres_schema_url(base, schema)
        migrate(url)
        return url

    def drop(self) -> None:
        if not self.schemas:
            return
        with postgres_admin() as conn:
            for schema in self.schemas:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


@contextmanager
def postgres_admin() -> Iterator[sa.Connection]:
    engine = sa.create_engine(normalize_database_url(os.environ["TEST_POSTGRES_URL"]))
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def migrated_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedDatabases]:
    databases = MigratedDatabases(tmp_path_factory.mktemp("db"))
    yield databases
    databases.drop()


@pytest.fixture(params=database_backends())
def database_url(request: pytest.FixtureRequest, migrated_databases: MigratedDatabases) -> str:
    """A migrated, empty database (emptied after each test), on each configured backend. Made
    once per process and backend, whatever order the tests come in."""
    return migrated_databases.url(request.param)


def migrate(url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def declaration_problem(job: Job) -> str | None:
    """What differs between a queued job and its declaration in `voicecast.jobs`, if anything."""
    spec = JOBS.get(job.func_name)
    if spec is None:
        return f"{job.func_name!r} is declared nowhere in voicecast.jobs"
    if job.origin != spec.queue:
        return f"{job.func_name} queued on {job.origin!r}, declared on {spec.queue!r}"
    if spec.timeout is not None and job.timeout != spec.timeout:
        return f"{job.func_name} queued with timeout {job.timeout}, declared {spec.timeout}"
    return None


@pytest.fixture(autouse=True)
def jobs_queued_as_declared(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every job a test's flows queue, scheduled or not, is one `voicecast.jobs` declares, on
    its queue and with its timeout (a job queued by a name that resolves to nothing fails only
    in a worker, after the request that queued it has succeeded)."""
    problems: list[str] = []
    create_job = Queue.create_job

    def checked(self: Queue, *args, **kwargs) -> Job:
        job = create_job(self, *args, **kwargs)
        if (problem := declaration_problem(job)) is not None:
            problems.append(problem)
        return job

    monkeypatch.setattr(Queue, "create_job", checked)
    yield
    if problems:
        pytest.fail("jobs queued unlike their declaration: " + "; ".join(problems))


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
            worker = JobWorker(queues, connection=connection)
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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The lines tests recorded with `record_property("summary", line)` (a run's size and
    time), at the end of the run: pytest-xdist shows no test's own output."""
    lines = [
        value
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        for name, value in getattr(report, "user_properties", ())
        if name == "summary" and getattr(report, "when", "call") == "call"
    ]
    if lines:
        terminalreporter.section("summaries")
        for line in lines:
            terminalreporter.write_line(line)
