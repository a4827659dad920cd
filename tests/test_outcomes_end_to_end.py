"""Issue 21's second acceptance, against the carrier simulator with a frozen clock: the dealer's
nightly file is imported, the next morning a journey leaves Marie's message for the customers
delivered the day before, one of them calls back, the dealer's system posts the appointment
she booked, and the journey's report shows what it cost per appointment (API and page)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.helpers import create_tenant
from tests.test_callbacks_end_to_end import EVERY_DAY, buy_numbers, sim, sounds  # noqa: F401
from tests.test_campaign_delivery import ledger, run_until, upload
from tests.test_contact_import import finished_import
from tests.test_contact_import import upload as import_file
from tests.test_web_login import PASSWORD, log_in
from voicecast.extensions import db
from voicecast.i18n import money
from voicecast.journeys.evaluation import queue_evaluation
from voicecast.models import Attempt

API = "/api/v1"
pytest_plugins = ["tests.carrier_fixtures"]  # carrier, public_app
SHARED, MARIE_PHONE = "+33159000000", "+33611000001"
JEANNE, PIERRE, LUC = "+33612345601", "+33612345611", "+33612345621"
# Monday 1 March 2027, 23:30 in Paris: the dealer management system's nightly export lands.
NIGHT = datetime(2027, 3, 1, 22, 30, tzinfo=UTC)
MORNING = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Paris, the next day
NIGHTLY_FILE = (
    "N° client;Prénom;Nom;Téléphone;Vendeur;date_livraison\n"
    "C-101;Jeanne;Petit;06 12 34 56 01;marie@dupont.example;2027-03-01\n"
    "C-102;Pierre;Durand;06 12 34 56 11;marie@dupont.example;2027-03-01\n"
    "C-103;Luc;Martin;06 12 34 56 21;marie@dupont.example;2027-02-15\n"
).encode()


@pytest.fixture
def dealership(app, runner, client, carrier, public_app, sounds, run_jobs, set_clock):  # noqa: F811
    """Garage Dupont the day before: Marie's message recorded, its shared line bought, and a
    journey thanking customers the day after their delivery."""
    set_clock(NIGHT - timedelta(days=1))
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    runner.invoke(args=["account", "set-caller-id", str(admin.account_id), SHARED])
    buy_numbers(carrier, [SHARED])
    synced = runner.invoke(args=["numbers", "sync", "--account", str(admin.account_id)])
    assert synced.exit_code == 0, synced.output
    marie = client.post(
        f"{API}/sellers",
        headers=admin.headers,
        json={"name": "Marie", "email": "marie@dupont.example", "phone": MARIE_PHONE},
    ).json
    assert upload(client, admin.headers, sounds.speech, marie["id"]).status_code == 202
    run_jobs()
    step = {
        "name": "Merci J+1",
        "attribute": "date_livraison",
        "purpose": "delivery_thanks",
        "offset": {"amount": 1, "unit": "days"},
        "campaign": {"calling_window": EVERY_DAY, "max_attempts": 1},
    }
    journey = client.post(
        f"{API}/journeys", headers=admin.headers, json={"name": "Après livraison", "steps": [step]}
    )
    assert journey.status_code == 201, journey.json
    app.config["PRICE_EXCHANGE_RATES"] = {"USD": 0.86}  # the simulator bills in USD, as Twilio
    return admin, journey.json["id"]


def test_a_nightly_file_then_the_morning_s_drops_a_callback_and_an_appointment(
    app, runner, client, carrier, dealership, run_jobs, set_clock
):
    admin, journey_id = dealership
    set_clock(NIGHT)
    imported = finished_import(client, admin, import_file(client, admin, NIGHTLY_FILE), run_jobs)
    assert imported["report"]["created"] == 3, imported["report"]
    with app.app_context():
        assert queue_evaluation()
    run_jobs()  # the night's evaluation: nobody's moment yet
    runs = f"{API}/journeys/{journey_id}/runs"
    assert client.get(runs, headers=admin.headers).json["items"] == []

    set_clock(MORNING)
    with app.app_context():
        assert queue_evaluation()
    run_jobs()
    [run] = client.get(runs, headers=admin.headers).json["items"]
    assert (run["day"], run["entered"]) == ("2027-03-02", 2)  # Jeanne and Pierre, not Luc
    campaign = f"{API}/campaigns/{run['campaign_id']}"
    run_until(
        run_jobs, lambda: client.get(campaign, headers=admin.headers).json["status"] == "completed"
    )
    assert sorted(call["to"] for call in ledger(carrier)) == [JEANNE, PIERRE]
    deliveries = client.get(f"{campaign}/deliveries", headers=admin.headers).json["items"]
    assert {item["status"] for item in deliveries} == {"voicemail_left"}

    set_clock(MORNING + timedelta(hours=2))  # Jeanne calls back; Marie answers
    call = sim(carrier, "/_sim/inbound", {"from": JEANNE, "to": SHARED, "seller": "answers"})
    assert [dial["to"] for dial in call["dials"]] == [MARIE_PHONE]

    set_clock(MORNING + timedelta(hours=3))  # the carrier has priced the calls
    with app.app_context():
        from voicecast.delivery.pricing import price_campaign_calls

        price_campaign_calls(run["campaign_id"])
        usd = db.session.scalar(
            select(func.sum(Attempt.price)).where(Attempt.campaign_id == run["campaign_id"])
        )
    assert usd and usd > 0

    set_clock(MORNING + timedelta(days=1))  # the next night's file from the dealer's system
    booked = client.post(
        f"{API}/outcomes/batch",
        headers=admin.headers,
        json={
            "outcomes": [
                {
                    "reference": "RDV-2027-0042",
                    "kind": "appointment_booked",
                    "external_id": "C-101",
                    "occurred_at": (MORNING + timedelta(hours=4)).isoformat(),
                },
                {
                    "reference": "RDV-2027-0043",
                    "kind": "appointment_booked",
                    "external_id": "C-103",
                },
            ]
        },
    )
    assert booked.status_code == 200, booked.json
    assert (booked.json["recorded"], booked.json["attributed"]) == (2, 1)
    assert booked.json["unattributed"]["no_message"] == 1  # Luc got no message

    report = client.get(f"{API}/journeys/{journey_id}/report", headers=admin.headers).json
    euros = round(usd * 0.86, 2)
    assert (report["drops"], report["callbacks"], report["appointments"]) == (2, 1, 1)
    assert report["cost"] == [{"currency": "EUR", "amount": euros}]
    assert report["cost_per_appointment"] == [{"currency": "EUR", "amount": euros}]
    assert report["steps"][0]["cost_per_appointment"] == report["cost_per_appointment"]
    [outcome] = client.get(f"{API}/outcomes?attributed=true", headers=admin.headers).json["items"]
    assert (outcome["touch"], outcome["journey_id"]) == ("callback", journey_id)

    result = runner.invoke(
        args=["user", "set-password", "chef@dupont.example"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert log_in(client, "chef@dupont.example", PASSWORD).status_code == 302
    page = client.get(f"/journeys/{journey_id}/results").text
    written = money(euros, "EUR", "fr")
    assert f'data-result="cost_per_appointment">{written}<' in page
