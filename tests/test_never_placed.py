"""An attempt that never reached the carrier called nobody: it is no attempt (neither
max_attempts nor the legal attempt cap count it), and its delivery is dialed again at once,
within a small cap of its own (NEVER_PLACED_RETRIES) that ends with its own reason."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.helpers import create_tenant, run_with_all_due

API = "/api/v1"
PHONE = "+33612345601"
pytest_plugins = ["tests.carrier_fixtures"]  # carrier, public_app
CLOSED_PORT = "http://127.0.0.1:9"  # nothing listens: the request never leaves


@pytest.fixture
def campaign(app, runner, client, carrier, public_app):
    """A running campaign of one due number, max_attempts 1, open at any hour; its id and the
    admin's headers."""
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    caller_id = ["account", "set-caller-id", str(admin.account_id), "+33159000000"]
    assert runner.invoke(args=caller_id).exit_code == 0
    client.post(f"{API}/contacts", headers=admin.headers, json={"phone": PHONE})
    always = {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}
    body = {"name": "X", "audience": {"kind": "all"}, "max_attempts": 1, "calling_window": always}
    created = client.post(f"{API}/campaigns", headers=admin.headers, json=body)
    assert created.status_code == 201, created.json
    run_with_all_due(app, created.json["id"])
    return created.json["id"], admin.headers


def claim(app, campaign_id: int) -> list[int]:
    """A dispatcher round's claim: the attempts recorded for the due deliveries."""
    from voicecast.delivery.dispatch import claim_due
    from voicecast.extensions import db
    from voicecast.models import Campaign
    from voicecast.models.base import utcnow

    with app.app_context():
        row = db.session.get(Campaign, campaign_id)
        return claim_due(row, utcnow(), 10, ["Europe/Paris"], "Europe/Paris")


def dial(app, attempt_ids: list[int]) -> str:
    """The dial job's body, in this process."""
    from voicecast.delivery.dialing import place_calls

    with app.app_context():
        return place_calls(attempt_ids)


def carrier_at(app, url: str) -> None:
    """Point the app's carrier client at `url` (the next request builds it again)."""
    from voicecast.carrier import close_carrier_client

    app.config["TWILIO_API_URL"] = url
    close_carrier_client(app)


def delivery_row(app) -> tuple[str, str | None, int, int]:
    from voicecast.extensions import db
    from voicecast.models import Delivery

    with app.app_context():
        row = db.session.query(Delivery).one()
        return row.status.value, row.reason, row.attempt_count, row.unplaced_count


def calls_to_phone(carrier) -> int:
    return len([call for call in carrier.simulator.ledger.all() if call.to == PHONE])


def test_a_worker_killed_before_its_request_left_costs_no_attempt(app, carrier, campaign):
    from voicecast.delivery.reconcile import reconcile_campaign
    from voicecast.extensions import db
    from voicecast.models import Attempt, AttemptState
    from voicecast.models.base import utcnow

    campaign_id, _ = campaign
    [attempt_id] = claim(app, campaign_id)
    with app.app_context():
        # Set-up: the dial claim committed, then the worker was killed before its request left.
        attempt = db.session.get(Attempt, attempt_id)
        attempt.state, attempt.dialed_at = AttemptState.DIALING, utcnow() - timedelta(minutes=5)
        db.session.commit()
        assert reconcile_campaign(campaign_id)["never_placed"] == 1
        assert db.session.get(Attempt, attempt_id).outcome == "never_placed"
    # max_attempts 1, and yet the number is due again at once: nobody was called.
    assert delivery_row(app) == ("pending", "retry: the call was never placed", 0, 1)
    [again] = claim(app, campaign_id)
    assert "dialed CA" in dial(app, [again])
    assert calls_to_phone(carrier) == 1
    assert delivery_row(app)[2:] == (1, 1)


def test_a_carrier_unreachable_before_taking_the_call_costs_no_attempt(app, carrier, campaign):
    campaign_id, _ = campaign
    url = app.config["TWILIO_API_URL"]
    carrier_at(app, CLOSED_PORT)
    assert "never placed" in dial(app, claim(app, campaign_id))
    assert delivery_row(app) == ("pending", "retry: the call was never placed", 0, 1)
    carrier_at(app, url)
    assert "dialed CA" in dial(app, claim(app, campaign_id))
    assert calls_to_phone(carrier) == 1


def test_never_placed_retries_have_a_cap_of_their_own_and_their_own_reason(
    app, client, carrier, campaign
):
    campaign_id, headers = campaign
    app.config["NEVER_PLACED_RETRIES"] = 1
    carrier_at(app, CLOSED_PORT)
    dial(app, claim(app, campaign_id))
    assert delivery_row(app)[0] == "pending"  # its one retry
    dial(app, claim(app, campaign_id))
    assert delivery_row(app) == ("failed", "never_placed", 0, 2)
    assert claim(app, campaign_id) == []
    listed = client.get(f"{API}/campaigns/{campaign_id}/deliveries", headers=headers).json
    [item] = listed["items"]
    assert (item["status"], item["reason"], item["attempt_count"]) == ("failed", "never_placed", 0)
    assert [a["outcome"] for a in item["attempts"]] == ["never_placed", "never_placed"]
    from voicecast.dashboard.figures import campaign_figures
    from voicecast.extensions import db
    from voicecast.models import Campaign

    with app.app_context():  # the campaign's page: no call placed, none charged
        figures = campaign_figures(db.session.get(Campaign, campaign_id))
    assert (figures["calls_placed"], sum(figures["timeline"]["attempts"])) == (0, 0)


def test_the_attempt_cap_counts_only_attempts_that_reached_the_carrier(app, campaign):
    from voicecast.delivery import claim as dial_claim
    from voicecast.extensions import db
    from voicecast.models import Attempt, AttemptState, Delivery
    from voicecast.models.base import utcnow
    from voicecast.rules.eligibility import capped_until
    from voicecast.rules.presets import FR

    campaign_id, _ = campaign
    preset = dataclasses.replace(FR, attempt_cap=2, legal_basis=None)
    [attempt_id] = claim(app, campaign_id)
    now = utcnow()
    with app.app_context():
        delivery = db.session.query(Delivery).one()
        # Set-up: two attempts settled earlier today as never placed (the claim's own one is
        # recorded, not dialed).
        for number in (7, 8):
            db.session.add(
                Attempt(delivery_id=delivery.id, campaign_id=campaign_id, number=number,
                        state=AttemptState.FAILED, outcome="never_placed",
                        created_at=now, dialed_at=now - timedelta(hours=1), ended_at=now)
            )  # fmt: skip
        db.session.commit()
        assert capped_until(delivery.account_id, preset, [PHONE], now) == {}
        assert dial_claim.claim(attempt_id, preset, now)
        # Attempts that reached the carrier count: this one and the one just claimed make two.
        db.session.execute(update(Attempt).where(Attempt.number == 7).values(outcome="no_answer"))
        db.session.commit()
        assert PHONE in capped_until(delivery.account_id, preset, [PHONE], now)
