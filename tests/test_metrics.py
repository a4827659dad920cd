"""`/metrics` scraped around a real campaign run (real RQ workers, the carrier simulator calling
our webhooks over HTTP) and parsed with prometheus_client's own text parser."""

from __future__ import annotations

from collections import Counter

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.audio import Sounds, make_sounds
from tests.campaign_run import run_campaign
from tests.test_exports import all_deliveries
from voicecast.queues import QUEUE_NAMES

pytest_plugins = ["tests.carrier_fixtures"]  # carrier, public_app
API = "/api/v1"


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Sounds:
    return make_sounds(tmp_path_factory.mktemp("metrics-sounds"))


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of one scrape."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def moved(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_metrics_count_a_campaign_s_calls_outcomes_waits_and_callbacks(
    app, runner, client, carrier, public_app, sounds, run_jobs
):
    before = scrape(client)
    run = run_campaign(app, runner, client, carrier, public_app, sounds, run_jobs)
    after = scrape(client)

    deliveries = all_deliveries(client, run.admin.headers, run.campaign_id)
    attempts = [attempt for d in deliveries for attempt in d["attempts"]]
    placed = len(run.calls)
    assert placed == len(attempts) == 6
    assert moved(before, after, "voicecast_calls_placed_total") == placed
    outcomes = Counter(attempt["outcome"] for attempt in attempts)
    for status in ("voicemail_left", "human_reached", "busy", "no_answer", "failed", "canceled"):
        counted = moved(before, after, "voicecast_call_outcomes_total", status=status)
        assert counted == outcomes.get(status, 0), status

    # Every call took a start slot, then a place in the one-second window.
    for stage in ("slot", "window"):
        waits = moved(before, after, "voicecast_rate_limit_wait_seconds_count", stage=stage)
        assert waits == placed, stage
        everything = moved(
            before, after, "voicecast_rate_limit_wait_seconds_bucket", stage=stage, le="+Inf"
        )
        assert everything == placed

    # The AMD verdict came for each answered call; status reports for every call.
    answered = sum(1 for attempt in attempts if attempt["answered_by"])
    hook = "voicecast_twilio_webhook_seconds"
    assert moved(before, after, f"{hook}_count", hook="twilio.answer") == answered
    assert moved(before, after, f"{hook}_count", hook="twilio.status") >= placed
    assert moved(before, after, f"{hook}_sum", hook="twilio.status") > 0
    # The callback's own webhooks, served by Flask.
    assert moved(before, after, f"{hook}_count", hook="inbound.voice") == 1
    assert moved(before, after, f"{hook}_count", hook="inbound.voice_status") == 1

    assert moved(before, after, "voicecast_callbacks_received_total") == 1
    assert moved(before, after, "voicecast_callbacks_ended_total", outcome="connected") == 1

    for queue in QUEUE_NAMES:
        assert after["voicecast_queue_jobs", (("queue", queue), ("state", "queued"))] == 0
        assert ("voicecast_queue_jobs", (("queue", queue), ("state", "failed"))) in after
    assert after["voicecast_campaigns", (("status", "completed"),)] == 1


def test_queue_depth_counts_waiting_jobs(app, client):
    from voicecast.jobs import MARK_KEY_USED

    with app.app_context():
        for _ in range(3):
            MARK_KEY_USED.enqueue(1, "2026-01-01T00:00:00")
    samples = scrape(client)
    assert samples["voicecast_queue_jobs", (("queue", "default"), ("state", "queued"))] == 3


def test_metrics_want_the_token_when_one_is_set(app, client):
    app.config["METRICS_TOKEN"] = "s3cret"
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer sécret"}).status_code == 401
    scrape(client, Authorization="Bearer s3cret")
    # With a token, where the request comes from does not matter.
    remote = client.get(
        "/metrics",
        headers={"Authorization": "Bearer s3cret"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert remote.status_code == 200


def test_without_a_token_metrics_answer_this_host_only(client):
    assert client.get("/metrics").status_code == 200  # the test client comes from 127.0.0.1
    remote = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert remote.status_code == 403
    # A reverse proxy on this host forwards the world's requests from 127.0.0.1.
    proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 403


def test_counters_reach_redis_from_the_flusher_thread(app):
    """A process that never serves a scrape (an RQ worker) still gets its counts to Redis."""
    import time

    from voicecast.observability import metrics
    from voicecast.redis_client import get_redis

    family = metrics.CALLBACKS_RECEIVED
    with app.app_context():
        buffer = metrics.buffer_for(app.config["REDIS_URL"], 0.05)
        buffer.add(family.key, "", 2)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not get_redis().hget(family.key, ""):
            time.sleep(0.05)
        assert get_redis().hget(family.key, "") == b"2"
