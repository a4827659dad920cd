"""Attempts left unsure by a dead worker or lost callbacks are settled by asking the carrier."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.helpers import create_tenant

API = "/api/v1"
pytest_plugins = ["tests.carrier_fixtures"]  # carrier, public_app


def time_passes(app, attempt_id: int, minutes: float) -> None:
    """Set-up: move the attempt's clock back, as if `minutes` had gone by since it was sent."""
    from voicecast.extensions import db
    from voicecast.models import Attempt
    from voicecast.models.base import utcnow

    with app.app_context():
        db.session.execute(
            update(Attempt)
            .where(Attempt.id == attempt_id)
            .values(dialed_at=utcnow() - timedelta(minutes=minutes))
        )
        db.session.commit()


@pytest.fixture
def unsure_attempt(app, runner, client, carrier, public_app):
    """A delivery whose attempt is `dialing`: the worker died before recording any answer."""
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    client.post(f"{API}/contacts", headers=admin.headers, json={"phone": "+33612345606"})
    campaign = client.post(
        f"{API}/campaigns",
        headers=admin.headers,
        json={"name": "X", "audience": {"kind": "all"}, "max_attempts": 2},
    ).json
    from voicecast.delivery.dispatch import claim_due
    from voicecast.delivery.planning import plan_deliveries
    from voicecast.extensions import db
    from voicecast.models import (
        Attempt,
        AttemptState,
        Campaign,
        CampaignStatus,
        Delivery,
        DeliveryStatus,
    )
    from voicecast.models.base import utcnow

    with app.app_context():
        row = db.session.get(Campaign, campaign["id"])
        row.status = CampaignStatus.RUNNING  # set-up: what launching and planning do
        plan_deliveries(row)
        db.session.execute(update(Delivery).values(status=DeliveryStatus.PENDING, reason=None))
        db.session.commit()
        [attempt_id] = claim_due(row, utcnow(), 10, ["Europe/Paris"], "Europe/Paris")
        attempt = db.session.get(Attempt, attempt_id)
        attempt.state, attempt.dialed_at = AttemptState.DIALING, utcnow()
        db.session.commit()
    return campaign["id"], attempt_id


def attempt_and_delivery(app, attempt_id):
    from voicecast.extensions import db
    from voicecast.models import Attempt, Delivery

    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        delivery = db.session.get(Delivery, attempt.delivery_id)
        return attempt.state.value, attempt.call_sid, delivery.status.value


def test_a_call_the_carrier_has_is_adopted_not_dialed_again(app, carrier, unsure_attempt):
    campaign_id, attempt_id = unsure_attempt
    from voicecast.carrier import carrier_client
    from voicecast.delivery.reconcile import reconcile_campaign

    with app.app_context():
        # The carrier took the call, but its callbacks went nowhere and we never saw the sid.
        lost = app.config["PUBLIC_BASE_URL"] + "/nowhere"
        call = carrier_client().place_call(
            to="+33612345606", from_="+33159000000", url=lost, status_callback=lost
        )
    time_passes(app, attempt_id, minutes=5)
    with app.app_context():
        assert reconcile_campaign(campaign_id)["adopted"] == 1
    _, sid, _ = attempt_and_delivery(app, attempt_id)
    assert sid == call.sid
    assert len([c for c in carrier.simulator.ledger.all() if c.to == "+33612345606"]) == 1


def test_a_call_the_carrier_never_got_is_retried(app, unsure_attempt):
    campaign_id, attempt_id = unsure_attempt
    from voicecast.delivery.reconcile import reconcile_campaign

    time_passes(app, attempt_id, minutes=5)
    with app.app_context():
        assert reconcile_campaign(campaign_id)["never_placed"] == 1
    state, sid, delivery = attempt_and_delivery(app, attempt_id)
    assert (state, sid, delivery) == ("failed", None, "pending")


def test_a_dead_dial_jobs_call_is_looked_up_once_its_request_is_over_not_minutes_later(
    app, unsure_attempt
):
    """A worker killed mid-request: its delivery is dialed again (or its call adopted) once the
    request is over (2 x TWILIO_HTTP_TIMEOUT + 5 s: 25 s), not after RECONCILE_UNSURE_SECONDS
    (60 s); while its dial job is alive, or the request may still be on its way, it waits."""
    campaign_id, attempt_id = unsure_attempt
    from voicecast.delivery import dispatch
    from voicecast.delivery.reconcile import reconcile_campaign
    from voicecast.redis_client import get_redis

    job_id = dispatch.dial_job_id(attempt_id)
    with app.app_context():
        get_redis().set(f"dial:job:{attempt_id}", job_id)
        get_redis().set(dispatch.dial_alive_key(job_id), 1, ex=30)  # its job runs
    time_passes(app, attempt_id, minutes=0.2)  # 12 s: the request may still be on its way
    with app.app_context():
        assert reconcile_campaign(campaign_id)["never_placed"] == 0
    time_passes(app, attempt_id, minutes=0.5)  # 30 s, its job still running
    with app.app_context():
        assert reconcile_campaign(campaign_id)["never_placed"] == 0
        get_redis().delete(dispatch.dial_alive_key(job_id))  # its worker was killed
        assert reconcile_campaign(campaign_id)["never_placed"] == 1
    assert attempt_and_delivery(app, attempt_id) == ("failed", None, "pending")


def test_a_lost_dial_job_is_queued_again_and_a_running_one_is_not(app, unsure_attempt):
    campaign_id, attempt_id = unsure_attempt
    from voicecast.delivery import dispatch
    from voicecast.delivery.reconcile import reconcile_campaign
    from voicecast.extensions import db
    from voicecast.models import Attempt, AttemptState
    from voicecast.models.base import utcnow
    from voicecast.queues import DIALING, get_queue
    from voicecast.redis_client import get_redis

    with app.app_context():
        # Set-up: the attempt was recorded long ago and its (batch) job handed to RQ.
        attempt = db.session.get(Attempt, attempt_id)
        attempt.state, attempt.created_at = AttemptState.CREATED, utcnow() - timedelta(hours=1)
        db.session.commit()
        dispatch.enqueue_dials([attempt_id])
        queue = get_queue(DIALING)
        job_id = dispatch.dial_job_id(attempt_id)
        assert reconcile_campaign(campaign_id)["requeued"] == 0  # its job still waits

        queue.remove(job_id)  # a worker took it and was killed: in no queue, no alive mark
        assert reconcile_campaign(campaign_id)["requeued"] == 1
        assert job_id in queue.job_ids  # queued again (it still dials at most once)

        queue.remove(job_id)
        get_redis().set(dispatch.dial_alive_key(job_id), 1, ex=30)  # a worker runs it now
        assert reconcile_campaign(campaign_id)["requeued"] == 0

        get_redis().flushdb()  # Redis lost: the job and what it knew are gone
        assert reconcile_campaign(campaign_id)["requeued"] == 1


def test_a_round_that_died_holding_its_lock_does_not_hold_back_stuck_attempts(app, unsure_attempt):
    """A worker killed mid-round (or Redis lost under it) leaves the round's lock: the next
    rounds wait for it to expire, but the stuck attempts are settled meanwhile."""
    campaign_id, attempt_id = unsure_attempt
    from voicecast.delivery.rounds import run_round
    from voicecast.redis_client import get_redis

    time_passes(app, attempt_id, minutes=5)
    with app.app_context():
        get_redis().set(f"dispatch:lock:{campaign_id}", "a dead round", ex=30)
        assert run_round(campaign_id) == "another round is running"
    assert attempt_and_delivery(app, attempt_id) == ("failed", None, "pending")


def test_a_call_whose_redirect_never_had_its_answer_is_settled_not_left_waiting(
    app, unsure_attempt
):
    """The web node died between sending the verdict's redirect and hearing the carrier's
    answer: the call's end waited for that answer, which will never come. The reconciler
    settles it as a message not started (dialed again), after RECONCILE_VERDICT_SECONDS."""
    campaign_id, attempt_id = unsure_attempt
    from voicecast.delivery.reconcile import reconcile_campaign
    from voicecast.extensions import db
    from voicecast.models import Attempt, AttemptState
    from voicecast.models.base import utcnow

    long_ago = utcnow() - timedelta(minutes=2)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.state, attempt.answered_by = AttemptState.COMPLETED, "machine_end_beep"
        attempt.redirecting_since = attempt.ended_at = long_ago
        db.session.commit()
        assert reconcile_campaign(campaign_id)["verdicts"] == 1
        attempt = db.session.get(Attempt, attempt_id)
        assert (attempt.outcome, attempt.redirecting_since) == ("failed", None)
    assert attempt_and_delivery(app, attempt_id)[2] == "pending"
