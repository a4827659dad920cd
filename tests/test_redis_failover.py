"""Redis behind Sentinel loses its primary in the middle of a campaign: REDIS_URL names the
sentinels (`redis+sentinel://...`), real `python -m workers` processes and the web app run a
campaign against the carrier simulator, the primary is SIGKILLed once a third of the numbers
are dialed, the sentinels promote the replica, and the campaign must complete with every
number dialed exactly once, none lost, the API and its export agreeing with the carrier's
ledger (tests/chaos_checks.py), and no worker having quit."""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from types import SimpleNamespace

import pytest
from rq import Worker

from tests.carrier_fixtures import FAST, SID, TOKEN
from tests.chaos_checks import api_deliveries, check_number, exported
from tests.chaos_faults import FaultyCarrier, Workers
from tests.chaos_run import Plan, launch, serve, until
from tests.sentinel_cluster import SentinelCluster
from voicecast import create_app
from voicecast.config import ConfigError
from voicecast.extensions import db
from voicecast.observability.redaction import redact
from voicecast.redis_client import get_redis, parse_sentinel_url, redis_from_url, with_database
from voicecast.simulator.engine import SimulatorConfig

POSTGRESQL = "postgresql" if os.environ.get("TEST_POSTGRES_URL") else "sqlite"
CONTACTS = 60
WORKERS = 2
CALLS_PER_SECOND = "4"  # the account's pace: 60 calls over about 15 s, the failover amid them
KILL_AFTER_CALLS = CONTACTS // 3


def test_sentinel_url_forms():
    parsed = parse_sentinel_url("redis+sentinel://:s3cret@10.0.0.1:26380,10.0.0.2,[::1]:5/vc/3")
    assert parsed.sentinels == [("10.0.0.1", 26380), ("10.0.0.2", 26379), ("::1", 5)]
    assert (parsed.master, parsed.db, parsed.password) == ("vc", 3, "s3cret")
    with_password = parse_sentinel_url("redis+sentinel://h:1/vc?sentinel_password=x")
    assert with_password.sentinel_password == "x"
    assert with_database("redis+sentinel://h:1/vc", 4) == "redis+sentinel://h:1/vc/4"
    assert redis_from_url("redis+sentinel://h:1/vc").connection_pool.service_name == "vc"
    logged = redact("REDIS_URL=redis+sentinel://:s3cret@h:1/vc?sentinel_password=hush")
    assert "s3cret" not in logged and "hush" not in logged, logged


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://h:1",  # no master name
        "redis+sentinel://h:1/vc/zero",
        "redis+sentinel://h:port/vc",
        "redis+sentinel:///vc",
        "sentinel://h:1/vc",
    ],
)
def test_a_redis_url_we_cannot_use_stops_the_start_naming_the_setting(url, tmp_path, monkeypatch):
    monkeypatch.setenv("VOICECAST_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("REDIS_URL", url)
    with pytest.raises(ConfigError, match="REDIS_URL"):
        create_app({"TESTING": True})


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("database_url", [POSTGRESQL], indirect=True)
def test_a_campaign_completes_exactly_once_through_a_sentinel_failover(app, tmp_path, monkeypatch):
    cluster = SentinelCluster(tmp_path / "redis")
    cluster.start()
    plan = Plan(contacts=CONTACTS, max_attempts=1, workers=WORKERS)
    phones = [f"+3361{n:07d}" for n in range(CONTACTS)]
    monkeypatch.setenv("REDIS_URL", cluster.url)
    workers = Workers(dict(os.environ), tmp_path / "workers.log", WORKERS)
    carrier = FaultyCarrier(
        SimulatorConfig(account_sid=SID, auth_token=TOKEN, cps=200.0, timings=FAST),
        {}, workers, slow_seconds=0,
    )  # fmt: skip
    for name, value in plan.settings(cluster.url, carrier.url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TWILIO_CALLS_PER_SECOND", CALLS_PER_SECOND)
    web = create_app({"TESTING": True})
    public_url, stop_web = serve(web)
    monkeypatch.setenv("PUBLIC_BASE_URL", public_url)
    web.config["PUBLIC_BASE_URL"] = public_url
    workers.env = dict(os.environ)
    figures: dict = {}
    try:
        workers.fill()
        client, url, headers = launch(web, tmp_path, phones, plan)
        with web.app_context():
            redis = get_redis()
            until(lambda: len(Worker.all(connection=redis)) >= WORKERS, 90, "the workers")
        assert client.post(f"{url}/launch", headers=headers).status_code == 202
        launched = time.monotonic()
        until(lambda: len(carrier.simulator.ledger.all()) >= KILL_AFTER_CALLS, 120, "calls")
        figures["calls before the failover"] = len(carrier.simulator.ledger.all())
        killed = time.monotonic()
        cluster.kill_primary()
        cluster.wait_for_new_primary()
        figures["failover: primary killed to replica promoted and writable (s)"] = round(
            time.monotonic() - killed, 2
        )
        until(lambda: client.get(url, headers=headers).json["status"] == "completed", 180,
              "the campaign to complete")  # fmt: skip
        figures["launch to completion (s)"] = round(time.monotonic() - launched, 1)
        problems = check(client, url, headers, carrier, phones, plan, figures)
        figures["workers that quit"] = sum(p.poll() is not None for p in workers.processes)
        logged = (tmp_path / "workers.log").read_text(errors="replace")
        figures["worker log lines on a lost Redis connection"] = sum(
            "Error" in line and "Redis" in line for line in logged.splitlines()
        )
    except BaseException:
        print((tmp_path / "workers.log").read_text(errors="replace")[-6000:])
        raise
    finally:
        workers.stop()
        stop_web()
        carrier.close()
        cluster.stop()
        with web.app_context():
            db.engine.dispose()
    for name, value in figures.items():
        print(f"{name}: {value}")
    assert problems == [], "\n".join(problems[:40])
    assert figures["workers that quit"] == 0, "a worker quit instead of following the failover"


def check(client, url, headers, carrier, phones, plan, figures) -> list[str]:
    """Number by number, the API and its export against the carrier's ledger (chaos_checks)."""
    deliveries = api_deliveries(client, url, headers)
    rows = exported(client, url, headers)
    ledger = carrier.ledger_by_number()
    run = SimpleNamespace(plan=plan, refused=set())
    problems = [f"{len(set(phones) - set(deliveries))} customers without a delivery"] * (
        set(deliveries) != set(phones)
    )
    for phone, delivery in sorted(deliveries.items()):
        problems += check_number(phone, delivery, ledger.get(phone, []), rows.get(phone), run)
    calls = [call for calls in ledger.values() for call in calls]
    figures.update({
        "contacts": len(phones),
        "carrier calls": len(calls),
        "numbers dialed twice or more": sum(len(calls) > 1 for calls in ledger.values()),
        "numbers never dialed (lost)": sum(phone not in ledger for phone in phones),
        "problems": len(problems),
        "deliveries by status": dict(Counter(d["status"] for d in deliveries.values())),
        "calls by outcome": dict(Counter(call.outcome or call.status for call in calls)),
    })  # fmt: skip
    return problems
