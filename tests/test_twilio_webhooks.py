"""The carrier's webhooks: only signed requests count, and callbacks may come in any order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from twilio.request_validator import RequestValidator

from tests.helpers import one_contact_campaign

TOKEN = "webhook-test-token"


@pytest.fixture
def attempt(app, runner, client):
    """A campaign with one delivery being dialed, as the dispatcher leaves it."""
    app.config["TWILIO_AUTH_TOKEN"] = TOKEN
    campaign = one_contact_campaign(runner, client)
    with app.app_context():
        from voicecast.delivery.dispatch import claim_due
        from voicecast.delivery.planning import plan_deliveries
        from voicecast.extensions import db
        from voicecast.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
        from voicecast.models.base import utcnow

        row = db.session.get(Campaign, campaign["id"])
        row.status = CampaignStatus.RUNNING  # set-up: what launching and planning do
        plan_deliveries(row)
        # Set-up: the contact has no seller, so planning excluded it; dial it all the same.
        db.session.execute(update(Delivery).values(status=DeliveryStatus.PENDING, reason=None))
        db.session.commit()
        [attempt_id] = claim_due(row, utcnow(), 10, ["Europe/Paris"], "Europe/Paris")
    return attempt_id


def signed_post(client, app, path: str, params: dict[str, str], token: str = TOKEN):
    url = app.config["PUBLIC_BASE_URL"] + path
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def state(app, attempt_id: int) -> tuple[str, str, int]:
    with app.app_context():
        from voicecast.extensions import db
        from voicecast.models import Attempt, Delivery

        attempt = db.session.get(Attempt, attempt_id)
        delivery = db.session.get(Delivery, attempt.delivery_id)
        return attempt.state.value, delivery.status.value, attempt.last_sequence


def status_params(status: str, sequence: int) -> dict[str, str]:
    return {"CallSid": "CA" + "1" * 32, "CallStatus": status, "SequenceNumber": str(sequence)}


def test_unsigned_forged_and_altered_webhooks_are_refused(app, client, attempt):
    path = f"/twilio/attempts/{attempt}/status"
    params = status_params("completed", 3)
    before = state(app, attempt)
    assert client.post(path, data=params).status_code == 403
    assert signed_post(client, app, path, params, token="not-ours").status_code == 403
    url = app.config["PUBLIC_BASE_URL"] + path
    signature = RequestValidator(TOKEN).compute_signature(url, status_params("ringing", 1))
    altered = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
    assert altered.status_code == 403
    answer = f"/twilio/attempts/{attempt}/answer"
    assert client.post(answer, data={"AnsweredBy": "human"}).status_code == 403
    assert state(app, attempt) == before


def test_a_non_ascii_signature_is_refused_not_a_server_error(app, client, attempt):
    before = state(app, attempt)
    forged = {"X-Twilio-Signature": "sïgnature-é"}
    params = status_params("completed", 3)
    for path in (f"/twilio/attempts/{attempt}/status", f"/twilio/attempts/{attempt}/answer"):
        assert client.post(path, data=params, headers=forged).status_code == 403  # fast path
        assert client.post(path, json=params, headers=forged).status_code == 403  # Flask's route
    for path in ("/twilio/voice", "/twilio/voice/status", "/twilio/callbacks/1/dialed"):
        assert client.post(path, data={"CallSid": "CA1"}, headers=forged).status_code == 403
    assert state(app, attempt) == before


def test_callbacks_apply_once_and_only_forward(app, client, attempt):
    path = f"/twilio/attempts/{attempt}/status"
    assert signed_post(client, app, path, status_params("ringing", 1)).status_code == 204
    assert signed_post(client, app, path, status_params("initiated", 0)).status_code == 204
    assert state(app, attempt)[0] == "ringing"  # the late "initiated" changed nothing
    signed_post(client, app, path, status_params("busy", 2))
    assert state(app, attempt)[:2] == ("busy", "pending")  # a retry is booked (2 attempts)
    signed_post(client, app, path, status_params("busy", 2))  # a duplicate
    signed_post(client, app, path, status_params("in-progress", 3))  # after the end: ignored
    assert state(app, attempt)[:2] == ("busy", "pending")
    with app.app_context():
        from voicecast.extensions import db
        from voicecast.models import Attempt, Delivery
        from voicecast.models.base import utcnow

        row = db.session.get(Attempt, attempt)
        delivery = db.session.get(Delivery, row.delivery_id)
        wait = delivery.next_attempt_at - utcnow()
        # The campaign's first retry delay (4 h by default), not at once.
        assert timedelta(hours=3, minutes=59) < wait <= timedelta(hours=4)
        assert (row.outcome, delivery.reason) == ("busy", "retry after busy")


def test_unknown_attempt_is_404(app, client, attempt):
    response = signed_post(client, app, "/twilio/attempts/999999/status", status_params("busy", 0))
    assert response.status_code == 404


def test_answer_plays_nothing_without_a_recording_and_hangs_up(app, client, attempt):
    response = signed_post(
        client, app, f"/twilio/attempts/{attempt}/answer", {"AnsweredBy": "machine_end_beep"}
    )
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert "<Hangup />" in response.text and "<Play>" not in response.text
    signed_post(client, app, f"/twilio/attempts/{attempt}/status", status_params("completed", 3))
    with app.app_context():
        from voicecast.extensions import db
        from voicecast.models import Attempt

        # A machine answered but heard nothing: that is not a voicemail left.
        assert db.session.get(Attempt, attempt).outcome == "failed"


def test_odd_webhook_requests_are_refused_with_a_reason(app, client, attempt):
    path = f"/twilio/attempts/{attempt}/status"
    huge = {"CallStatus": "busy", "Padding": "x" * 70_000}
    assert signed_post(client, app, path, huge).status_code == 413
    # Not a form (Twilio always sends one): Flask's own route answers, with the same check.
    response = client.post(path, json={"CallStatus": "busy"})
    assert response.status_code == 403 and "signature" in response.text
    assert state(app, attempt)[:2] == ("created", "dialing")


def test_the_message_played_mark_is_committed_durably(app, client, attempt, monkeypatch):
    # The mark (played_recording_id) is what tells a voicemail left from a failure to retry,
    # and the carrier cannot tell it again: lost in a database crash, the reconciler would
    # settle the call as failed and the number would hear the message twice.
    from voicecast import driver_sql

    waived = []
    monkeypatch.setattr(driver_sql, "commit_without_waiting_for_disk", lambda: waived.append(1))
    answered = signed_post(
        client, app, f"/twilio/attempts/{attempt}/answer", {"AnsweredBy": "machine_end_beep"}
    )
    assert answered.status_code == 200
    assert waived == []  # its transaction waits for the disk (synchronous_commit stays on)
