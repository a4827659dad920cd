"""Wake-ups of the dispatcher: many within a moment make one round, but one asked after a
round started is never swallowed (that round may have read the state before the call ended;
on PostgreSQL a round once saw a delivery still dialing, then no call in flight, and booked
its next round a minute later while the wake-up was dropped as a duplicate)."""

from __future__ import annotations

from tests.conftest import close_job_app
from tests.helpers import create_tenant, one_contact_campaign, run_with_all_due


def dialing_jobs(app) -> list[str]:
    with app.app_context():
        from voicecast.queues import DIALING, get_queue

        return get_queue(DIALING).get_job_ids()


def test_a_wake_up_after_a_round_started_makes_another_round(app, runner, client):
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    campaign = client.post(
        "/api/v1/campaigns", headers=admin.headers, json={"name": "X", "audience": {"kind": "all"}}
    ).json
    with app.app_context():
        from voicecast.delivery.dispatch import request_dispatch

        request_dispatch(campaign["id"])
        request_dispatch(campaign["id"])  # within the same moment: one round is enough
    assert len(dialing_jobs(app)) == 1

    from workers.campaigns import dispatch_campaign

    try:
        dispatch_campaign(campaign["id"])  # a round runs (the draft has nothing to dial)
    finally:
        close_job_app()  # the job's own app: its connections closed, not left to the GC
    with app.app_context():
        request_dispatch(campaign["id"])  # a call ended just after it read the state
    assert len(dialing_jobs(app)) == 2


def test_a_status_report_committed_while_redis_is_down_answers_2xx_and_is_caught_up(
    app, runner, client
):
    from redis import Redis
    from twilio.request_validator import RequestValidator

    from voicecast.delivery.dispatch import claim_due, revive_campaigns
    from voicecast.extensions import db
    from voicecast.models import Attempt, Campaign, Delivery
    from voicecast.models.base import utcnow
    from voicecast.redis_client import EXTENSION_KEY

    app.config["TWILIO_AUTH_TOKEN"] = token = "webhook-test-token"
    campaign = one_contact_campaign(runner, client)
    run_with_all_due(app, campaign["id"])
    with app.app_context():
        row = db.session.get(Campaign, campaign["id"])
        [attempt_id] = claim_due(row, utcnow(), 10, ["Europe/Paris"], "Europe/Paris")

    redis = app.extensions[EXTENSION_KEY]
    app.extensions[EXTENSION_KEY] = Redis.from_url("redis://127.0.0.1:9/0")  # nothing there
    try:
        path = f"/twilio/attempts/{attempt_id}/status"
        params = {"CallSid": "CA" + "1" * 32, "CallStatus": "no-answer", "SequenceNumber": "3"}
        url = app.config["PUBLIC_BASE_URL"] + path
        signature = RequestValidator(token).compute_signature(url, params)
        answered = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
    finally:
        app.extensions[EXTENSION_KEY] = redis
    assert answered.status_code == 204
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        delivery = db.session.get(Delivery, attempt.delivery_id)
        assert (attempt.state.value, delivery.status.value) == ("no-answer", "pending")
    assert dialing_jobs(app) == []  # the wake-up was lost with Redis
    with app.app_context():
        assert revive_campaigns() == [campaign["id"]]  # the workers' periodic pass
    assert len(dialing_jobs(app)) == 1
