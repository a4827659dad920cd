"""Wake-ups of the dispatcher: many within a moment make one round, but one asked after a
round started is never swallowed (that round may have read the state before the call ended;
on PostgreSQL a round once saw a delivery still dialing, then no call in flight, and booked
its next round a minute later while the wake-up was dropped as a duplicate)."""

from __future__ import annotations

from tests.conftest import close_job_app
from tests.helpers import create_tenant


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
