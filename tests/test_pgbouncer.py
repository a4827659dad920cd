"""PostgreSQL behind PgBouncer in transaction mode (issue 20, point 4).

Every process reaches the database through a PgBouncer of the test's own (tests/pgbouncer.py,
set to hand each transaction to another server connection where it can), with
`DATABASE_POOL_MODE=transaction`: the migrations, the test's app, a web node started by the
Procfile's web line and two workers. A customer file is imported by a worker, and imported
again with changes (COPY, and a temporary table of the known contacts, which meets on every
server connection a table of that name another client left there); a campaign runs against
the carrier simulator to its end, and a customer calls back and leaves a voicemail. Every
webhook must be answered 2xx, every job succeed, every contact be called once.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa

from tests.conftest import migrate, postgres_admin
from tests.node_run import (
    account_with_a_message,
    api,
    by_kind,
    launch_campaign,
    leave_a_voicemail,
    share_this_machine,
    unanswered,
    webhooks_sent,
)
from tests.pgbouncer import SERVER_CONNECTIONS, PgBouncer, binary
from tests.s3_server import free_port
from tests.two_nodes import wait_until, web_node, worker_node
from voicecast.config import ConfigError, load_settings
from voicecast.queues import QUEUE_NAMES, get_queue

pytest_plugins = ["tests.carrier_fixtures"]
CONTACTS = 30


@pytest.fixture
def pgbouncer(tmp_path, monkeypatch) -> Iterator[PgBouncer]:
    """A PgBouncer in front of a schema of this test's own, made and dropped directly."""
    if not os.environ.get("TEST_POSTGRES_URL"):
        pytest.skip("PgBouncer pools PostgreSQL connections (TEST_POSTGRES_URL)")
    program = binary()
    if program is None:
        reason = "the pgbouncer program is not installed (apt-get install pgbouncer)"
        if os.environ.get("REQUIRE_PGBOUNCER") == "1":
            pytest.fail(f"REQUIRE_PGBOUNCER=1 but {reason}")
        pytest.skip(reason)
    schema = f"vc_pooled_{uuid.uuid4().hex[:10]}"
    with postgres_admin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    bouncer = PgBouncer(program, tmp_path / "pgbouncer", os.environ["TEST_POSTGRES_URL"], schema)
    try:
        yield bouncer
    finally:
        bouncer.stop()
        with postgres_admin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


@pytest.fixture
def database_url(pgbouncer, tmp_path, monkeypatch) -> str:
    """The `app` fixture's database, through the pooler, migrated through it."""
    monkeypatch.setenv("DATABASE_POOL_MODE", "transaction")
    share_this_machine(monkeypatch, tmp_path)
    migrate(pgbouncer.url)
    return pgbouncer.url


def customer_file(names: str) -> bytes:
    lines = ["Téléphone;Prénom;Nom;Vendeur"]
    lines += [f"06 12 34 {n // 100:02d} {n % 100:02d};{names} {n};Client;Marie"
              for n in range(CONTACTS)]  # fmt: skip
    return ("\n".join(lines) + "\n").encode()


def imported(base: str, headers: dict, names: str) -> dict:
    """The report of the customer file with `names`, imported by a worker."""
    started = api(base, "POST", "/contacts/import", headers,
                  files={"file": ("clients.csv", customer_file(names), "text/csv")})  # fmt: skip
    assert started["status"] == "queued", started  # IMPORT_INLINE_BYTES=0: a worker's job
    path = f"/contacts/imports/{started['id']}"
    wait_until(lambda: api(base, "GET", path, headers)["status"] in ("done", "failed"), 120,
               "the import")  # fmt: skip
    return api(base, "GET", path, headers)


def leave_a_table_on_every_server_connection(url: str) -> None:
    """What a client that keeps a temporary table for its session (as the import did, and a
    release still running it would) leaves on the pooler's server connections: a
    `contact_changes` of its own shape on each (held open at once, each takes one)."""
    connections = [psycopg.connect(url, prepare_threshold=None) for _ in range(SERVER_CONNECTIONS)]
    for connection in connections:
        connection.execute("CREATE TEMPORARY TABLE contact_changes (id integer, phone text)")
    for connection in connections:
        connection.commit()
        connection.close()


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_a_campaign_runs_through_pgbouncer_in_transaction_mode(
    app, runner, client, carrier, pgbouncer, tmp_path, monkeypatch
):
    figures: dict[str, object] = {}
    started = time.monotonic()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("PUBLIC_BASE_URL", base)
    app.config["PUBLIC_BASE_URL"] = base
    env = dict(os.environ, IMPORT_INLINE_BYTES="0", LOG_FORMAT="json")
    nodes = [web_node("web", tmp_path / "web", env, port)]
    nodes += [worker_node(f"worker-{n}", tmp_path / f"worker-{n}", env) for n in (1, 2)]
    try:
        wait_until(lambda: nodes[0].answers(base), 90, "the web node")
        admin, _ = account_with_a_message(app, runner, client, carrier, base, tmp_path)
        first = imported(base, admin.headers, "Client")
        leave_a_table_on_every_server_connection(pgbouncer.url)
        again = imported(base, admin.headers, "Cliente")
        figures["set up and imports (s)"] = round(time.monotonic() - started, 1)

        path = launch_campaign(base, admin.headers, calls_per_second=10)
        launched = time.monotonic()
        wait_until(lambda: api(base, "GET", path, admin.headers)["status"] == "completed", 180,
                   "the campaign to complete", every=1.0)  # fmt: skip
        figures["campaign (s)"] = round(time.monotonic() - launched, 1)
        phones = {item["phone"] for item in api(base, "GET", "/contacts?limit=100",
                                                admin.headers)["items"]}  # fmt: skip
        leave_a_voicemail(carrier, sorted(phones)[1])
        wait_until(lambda: api(base, "GET", "/callbacks", admin.headers)["items"], 60,
                   "the callback's record")  # fmt: skip
        callbacks = api(base, "GET", "/callbacks", admin.headers)["items"]
        state = api(base, "GET", path, admin.headers)
        figures["through the pooler"] = pgbouncer.stats()
    finally:
        for node in nodes:
            node.stop()
    with app.app_context():
        failed_jobs = sum(get_queue(name).failed_job_registry.count for name in QUEUE_NAMES)
    sent = webhooks_sent(carrier)
    outbound = [call.to for call in carrier.simulator.ledger.all() if call.to in phones]
    figures.update(total_s=round(time.monotonic() - started, 1), webhooks=by_kind(sent),
                   counts=state["counts"], pooler_log_errors=len(pgbouncer.errors()))  # fmt: skip
    print("through pgbouncer: " + ", ".join(f"{k} {v}" for k, v in figures.items()))

    assert first["status"] == "done" and first["report"]["created"] == CONTACTS, first
    assert again["status"] == "done" and again["report"]["updated"] == CONTACTS, again
    assert failed_jobs == 0, "a job failed: see the workers' logs"
    assert unanswered(sent) == [], unanswered(sent)[:10]
    assert sorted(outbound) == sorted(phones) and len(phones) == CONTACTS
    assert sum(state["counts"].values()) == CONTACTS
    assert not {"pending", "dialing"} & set(state["counts"]), state["counts"]
    assert [record["from_number"] for record in callbacks] == [sorted(phones)[1]]
    assert figures["through the pooler"]["transactions"] > 0


def test_the_pool_mode_is_session_unless_set_and_statement_mode_is_refused(tmp_path):
    assert load_settings({}, tmp_path)["DATABASE_POOL_MODE"] == "session"
    pooled = load_settings({"DATABASE_POOL_MODE": " Transaction "}, tmp_path)
    assert pooled["DATABASE_POOL_MODE"] == "transaction"
    with pytest.raises(ConfigError, match=r"DATABASE_POOL_MODE=statement.*transaction mode"):
        load_settings({"DATABASE_POOL_MODE": "statement"}, tmp_path)
    with pytest.raises(ConfigError, match="DATABASE_POOL_MODE must be session or transaction"):
        load_settings({"DATABASE_POOL_MODE": "pgbouncer"}, tmp_path)
