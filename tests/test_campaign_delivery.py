"""A campaign delivered end to end: our real workers dial through the real twilio client to the
carrier simulator, which plays each call out against our signed webhooks over HTTP."""

from __future__ import annotations

import io
import json
import time
import urllib.request

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.audio import Sounds, make_sounds
from tests.helpers import assert_error, create_tenant
from voicecast.simulator.server import SimulatorServer

API = "/api/v1"
pytest_plugins = ["tests.carrier_fixtures"]  # carrier, public_app
# The simulator's outcome by the last digit of the number (see voicecast/simulator/outcomes.py).
EXPECTED = {
    "0": "voicemail_left",
    "1": "voicemail_left",
    "5": "human_reached",
    "6": "busy",
    "7": "no_answer",
    "8": "failed",
    "9": "voicemail_left",
}


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Sounds:
    return make_sounds(tmp_path_factory.mktemp("campaign-sounds"))


def upload(client, headers, path, seller_id):
    boundary, body = encode_multipart(
        {
            "file": FileStorage(io.BytesIO(path.read_bytes()), filename=path.name),
            "seller_id": str(seller_id),
        }
    )
    return client.post(
        f"{API}/recordings",
        headers=headers,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def ledger(simulator: SimulatorServer) -> list[dict]:
    with urllib.request.urlopen(f"{simulator.url}/_sim/calls", timeout=5) as response:
        body = json.load(response)
    return body["calls"] if isinstance(body, dict) else body


def sim_post(simulator: SimulatorServer, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{simulator.url}{path}", json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def run_until(run_jobs, done, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run_jobs()
        if done():
            return
        time.sleep(0.1)
    pytest.fail("the campaign did not finish in time")


def test_a_campaign_leaves_the_sellers_message_once_per_number(
    app, runner, client, carrier, public_app, sounds, run_jobs
):
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    assert (
        runner.invoke(
            args=["account", "set-caller-id", str(admin.account_id), "+33159000000"]
        ).exit_code
        == 0
    )
    seller = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Marie"}).json
    recording = upload(client, admin.headers, sounds.speech, seller["id"]).json
    run_jobs()
    phones = {f"+3361234560{digit}": outcome for digit, outcome in EXPECTED.items()}
    # The person takes 10 s (of media time) to be recognised as one.
    sim_post(carrier, "/_sim/mailboxes", {"+33612345605": {"human_detection_s": 10}})
    for phone in phones:
        made = client.post(
            f"{API}/contacts",
            headers=admin.headers,
            json={"phone": phone, "seller_id": seller["id"]},
        )
        assert made.status_code == 201, made.json
    orphan = client.post(f"{API}/contacts", headers=admin.headers, json={"phone": "+33612345611"})
    campaign = client.post(
        f"{API}/campaigns",
        headers=admin.headers,
        json={
            "name": "Entretien 2 ans",
            "audience": {"kind": "all"},
            "max_attempts": 1,
            "calling_window": {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"},
            "calls_per_second": 50,
        },
    ).json
    url = f"{API}/campaigns/{campaign['id']}"
    launched = client.post(f"{url}/launch", headers={**admin.headers, "Idempotency-Key": "go"})
    assert launched.status_code == 202, launched.json
    again = client.post(f"{url}/launch", headers={**admin.headers, "Idempotency-Key": "go"})
    assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"

    run_until(
        run_jobs, lambda: client.get(url, headers=admin.headers).json["status"] == "completed"
    )
    state = client.get(url, headers=admin.headers).json
    deliveries = client.get(f"{url}/deliveries", headers=admin.headers).json["items"]
    by_phone = {d["phone"]: d for d in deliveries}
    assert by_phone[orphan.json["phone"]]["status"] == "excluded"
    assert by_phone[orphan.json["phone"]]["reason"] == "no_seller"
    for phone, outcome in phones.items():
        assert by_phone[phone]["status"] == outcome, by_phone[phone]
        assert len(by_phone[phone]["attempts"]) == 1

    calls = ledger(carrier)
    assert sorted(call["to"] for call in calls) == sorted(phones)  # once per number, no more
    assert sum(state["counts"].values()) == len(phones) + 1
    assert state["counts"]["voicemail_left"] == 3
    sids = {d["attempts"][0]["call_sid"] for d in deliveries if d["attempts"]}
    assert sids == {call["sid"] for call in calls}
    recording_url = client.get(f"{API}/recordings/{recording['id']}", headers=admin.headers).json[
        "carrier_url"
    ]
    for call in calls:
        played = [p["url"] for p in call.get("played", [])]
        outcome = phones[call["to"]]
        if outcome == "human_reached":  # human_policy "play": from the answer, once
            assert played == [recording_url]  # the seller's own file, and only it
            # Heard from the answer, while detection still ran (no dead air).
            assert call["amd"]["first_audio_s"] < call["amd"]["verdict_at_s"] == 10
        elif outcome == "voicemail_left":
            # Played from the answer over the machine's greeting (never recorded), then again
            # from its start after the beep, to its end: what the mailbox recorded.
            assert set(played) == {recording_url}
            assert call["voicemail"]["complete_plays"] == 1
            assert call["voicemail"]["messages_before_beep"] == 0
            assert call["voicemail"]["message_started_s"] >= call["voicemail"]["beep_s"]
        else:
            assert played == []


def test_launch_needs_a_caller_id_and_a_draft(runner, client, carrier):
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    campaign = client.post(
        f"{API}/campaigns", headers=admin.headers, json={"name": "X", "audience": {"kind": "all"}}
    ).json
    url = f"{API}/campaigns/{campaign['id']}"
    error = assert_error(client.post(f"{url}/launch", headers=admin.headers), 409, "conflict")
    assert "caller ID" in error["message"]
    assert_error(client.post(f"{url}/pause", headers=admin.headers), 409, "conflict")


def test_a_recording_still_to_be_played_cannot_be_deleted_and_contacts_can(
    app, runner, client, sounds, run_jobs
):
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    seller = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Marie"}).json
    recording = upload(client, admin.headers, sounds.speech, seller["id"]).json
    run_jobs()
    contact = client.post(
        f"{API}/contacts",
        headers=admin.headers,
        json={"phone": "+33612345600", "seller_id": seller["id"]},
    ).json
    campaign = client.post(
        f"{API}/campaigns", headers=admin.headers, json={"name": "X", "audience": {"kind": "all"}}
    ).json
    with app.app_context():
        from voicecast.delivery.planning import plan_deliveries
        from voicecast.extensions import db
        from voicecast.models import Campaign, CampaignStatus

        row = db.session.get(Campaign, campaign["id"])
        row.status = CampaignStatus.RUNNING  # set-up: what launching and planning do
        plan_deliveries(row)
        db.session.commit()

    url = f"{API}/recordings/{recording['id']}"
    error = assert_error(client.delete(url, headers=admin.headers), 409, "recording_in_use")
    assert error["details"] == {"campaign_ids": [campaign["id"]]}
    assert "cancel them" in error["message"]

    assert (
        client.delete(f"{API}/contacts/{contact['id']}", headers=admin.headers).status_code == 204
    )
    campaign_url = f"{API}/campaigns/{campaign['id']}"
    [delivery] = client.get(f"{campaign_url}/deliveries", headers=admin.headers).json["items"]
    assert (delivery["phone"], delivery["contact_id"]) == ("+33612345600", None)

    assert client.post(f"{campaign_url}/cancel", headers=admin.headers).status_code == 200
    assert client.delete(url, headers=admin.headers).status_code == 204


def test_each_seller_s_drops_show_their_own_callback_line(
    app, runner, client, carrier, public_app, sounds, run_jobs
):
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    runner.invoke(args=["account", "set-caller-id", str(admin.account_id), "+33159000000"])
    marie = client.post(
        f"{API}/sellers", headers=admin.headers,
        json={"name": "Marie", "callback_number": "01 62 00 00 01"},
    ).json  # fmt: skip
    assert marie["callback_number"] == "+33162000001"
    paul = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Paul"}).json
    taken = client.patch(
        f"{API}/sellers/{paul['id']}", headers=admin.headers,
        json={"callback_number": "+33162000001"},
    )  # fmt: skip
    assert "already another seller's callback line" in assert_error(taken, 409)["message"]
    for seller, phone in ((marie, "+33612345600"), (paul, "+33612345610")):
        upload(client, admin.headers, sounds.speech, seller["id"])
        client.post(f"{API}/contacts", headers=admin.headers,
                    json={"phone": phone, "seller_id": seller["id"]})  # fmt: skip
    run_jobs()  # the recordings get ready
    campaign = client.post(
        f"{API}/campaigns", headers=admin.headers,
        json={"name": "Lignes", "audience": {"kind": "all"}, "max_attempts": 1,
              "calling_window": {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}},
    ).json  # fmt: skip
    assert campaign["caller_id_policy"] == "seller"
    url = f"{API}/campaigns/{campaign['id']}"
    assert client.post(f"{url}/launch", headers=admin.headers).status_code == 202
    run_until(
        run_jobs, lambda: client.get(url, headers=admin.headers).json["status"] == "completed"
    )
    shown = {call["to"]: call["from"] for call in ledger(carrier)}
    # Marie's customer sees her line; Paul has none, so his sees the account's number.
    assert shown == {"+33612345600": "+33162000001", "+33612345610": "+33159000000"}


def test_french_rules_refuse_a_mobile_callback_line(runner, client):
    admin = create_tenant(runner, client, "Garage", "g@garage.example", rules="FR")
    mobile = client.post(
        f"{API}/sellers", headers=admin.headers,
        json={"name": "Marie", "callback_number": "06 12 34 56 78"},
    )  # fmt: skip
    assert "mobile number" in assert_error(mobile, 422)["message"]
