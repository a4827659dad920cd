"""The calling window is read in each contact's own time zone: while it is open in Paris and
closed in La Réunion (three hours ahead in winter, two in summer), only Paris is dialed."""

from __future__ import annotations

import io
import json
import time
import urllib.request
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.audio import make_sounds
from tests.helpers import create_tenant

API = "/api/v1"
pytest_plugins = ["tests.carrier_fixtures"]  # carrier, public_app
PARIS = ["+33612345600", "+33612345601"]
REUNION = ["+262692123450", "+262692123451"]


def window_open_in_paris_only() -> dict:
    """This hour in Paris, every day: La Réunion is hours past it."""
    local = datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris"))
    if local.hour == 23 and local.minute >= 58:
        pytest.skip("too close to midnight in Paris to open a window for the rest of the test")
    end = "23:59" if local.hour == 23 else f"{local.hour + 1:02d}:00"
    return {"days": list(range(7)), "start": f"{local.hour:02d}:00", "end": end}


def test_only_contacts_inside_their_own_window_are_dialed(
    app, runner, client, carrier, public_app, run_jobs, tmp_path
):
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    runner.invoke(args=["account", "set-caller-id", str(admin.account_id), "+33159000000"])
    seller = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Marie"}).json
    boundary, body = encode_multipart({
        "file": FileStorage(io.BytesIO(make_sounds(tmp_path).speech.read_bytes()), "m.wav"),
        "seller_id": str(seller["id"]),
    })  # fmt: skip
    client.post(f"{API}/recordings", headers=admin.headers, data=body,
                content_type=f"multipart/form-data; boundary={boundary}")  # fmt: skip
    run_jobs()
    for phone in PARIS + REUNION:
        made = client.post(
            f"{API}/contacts",
            headers=admin.headers,
            json={"phone": phone, "seller_id": seller["id"]},
        )
        assert made.status_code == 201, made.json
    zones = {
        item["phone"]: item["timezone"]
        for item in client.get(f"{API}/contacts", headers=admin.headers).json["items"]
    }
    assert {zones[phone] for phone in REUNION} == {"Indian/Reunion"}
    campaign = client.post(f"{API}/campaigns", headers=admin.headers, json={
        "name": "Entretien", "audience": {"kind": "all"}, "max_attempts": 1,
        "calling_window": window_open_in_paris_only(), "calls_per_second": 50,
    }).json  # fmt: skip
    url = f"{API}/campaigns/{campaign['id']}"
    assert client.post(f"{url}/launch", headers=admin.headers).status_code == 202

    deadline = time.monotonic() + 30
    while True:
        run_jobs()
        deliveries = client.get(f"{url}/deliveries", headers=admin.headers).json["items"]
        by_phone = {d["phone"]: d for d in deliveries}
        if all(by_phone.get(phone, {}).get("status") == "voicemail_left" for phone in PARIS):
            break
        assert time.monotonic() < deadline, by_phone
        time.sleep(0.1)
    run_jobs()  # another dispatcher round: still nothing for La Réunion

    with urllib.request.urlopen(f"{carrier.url}/_sim/calls", timeout=5) as response:
        ledger = json.load(response)
    calls = ledger["calls"] if isinstance(ledger, dict) else ledger
    assert sorted(call["to"] for call in calls) == PARIS
    for phone in REUNION:
        assert (by_phone[phone]["status"], by_phone[phone]["attempts"]) == ("pending", [])
    assert client.get(url, headers=admin.headers).json["status"] == "running"
