"""The journeys' API: what a manager sends is checked like a campaign's (4xx saying what to
fix), another account's journey is never found, and pause/resume follow the journey's status."""

from __future__ import annotations

from tests.helpers import assert_error, create_tenant, field_errors

API = "/api/v1/journeys"
STEP = {"name": "Livraison", "attribute": "date_livraison", "offset": {"amount": 3, "unit": "days"}}


def tenant(runner, client, name: str, email: str):
    admin = create_tenant(runner, client, name, email)
    runner.invoke(args=["account", "set-caller-id", str(admin.account_id), "+33159000000"])
    return admin


def test_a_journey_is_checked_like_a_campaign_and_stays_in_its_account(app, runner, client):
    dupont = tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    martin = tenant(runner, client, "Garage Martin", "chef@martin.example")

    far = {**STEP, "offset": {"amount": 200, "unit": "months"}}
    error = assert_error(client.post(API, headers=dupont.headers,
                                     json={"name": "J", "steps": [far]}), 422)  # fmt: skip
    assert [detail["type"] for detail in error["details"]] == ["offset"]

    alien = {**STEP, "segment_id": 999999}
    error = assert_error(client.post(API, headers=dupont.headers,
                                     json={"name": "J", "steps": [alien]}), 422)  # fmt: skip
    assert "body.steps[0].segment_id" in field_errors(error)

    made = client.post(API, headers=dupont.headers, json={"name": "Après-vente", "steps": [STEP]})
    assert made.status_code == 201, made.json
    journey = made.json
    assert journey["status"] == "active" and journey["steps"][0]["entered"] == 0
    assert journey["steps"][0]["campaign"]["max_attempts"] == 3  # a campaign's defaults

    assert_error(client.get(f"{API}/{journey['id']}", headers=martin.headers), 404)
    assert_error(client.post(f"{API}/{journey['id']}/pause", headers=martin.headers), 404)
    assert client.get(API, headers=martin.headers).json["items"] == []

    assert_error(client.post(f"{API}/{journey['id']}/resume", headers=dupont.headers), 409)
    paused = client.post(f"{API}/{journey['id']}/pause", headers=dupont.headers)
    assert paused.status_code == 200 and paused.json["status"] == "paused"
    assert_error(client.post(f"{API}/{journey['id']}/pause", headers=dupont.headers), 409)
    resumed = client.post(f"{API}/{journey['id']}/resume", headers=dupont.headers)
    assert resumed.status_code == 200 and resumed.json["status"] == "active"


def test_a_journey_needs_a_caller_id_to_call_from(app, runner, client):
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    refused = client.post(API, headers=admin.headers, json={"name": "J", "steps": [STEP]})
    assert "caller ID" in assert_error(refused, 409)["message"]
