"""The do-not-call list: a number on it is never dialed, whether it was there before the
campaign was planned or added while the campaign runs (checked right before each call)."""

from __future__ import annotations

import io
import json
import time
import urllib.request

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.audio import make_sounds
from tests.helpers import assert_error, create_tenant, seller_key
from voicecast.job_worker import JobWorker
from voicecast.queues import DIALING, PLANNING, get_queue
from voicecast.redis_client import get_redis

API = "/api/v1"
pytest_plugins = ["tests.carrier_fixtures"]  # carrier, public_app
PHONES = [f"+3361234560{digit}" for digit in (0, 1, 2, 3)]  # answering machines


@pytest.fixture
def admin(runner, client):
    tenant = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    caller = ["account", "set-caller-id", str(tenant.account_id), "+33159000000"]
    assert runner.invoke(args=caller).exit_code == 0
    return tenant


def test_the_list_is_managed_by_api_and_kept_per_account(runner, client, admin):
    made = client.post(
        f"{API}/suppressions", headers=admin.headers, json={"phone": "06 12 34 56 78"}
    )
    assert made.status_code == 201, made.json
    assert (made.json["phone"], made.json["source"]) == ("+33612345678", "api")
    again = client.post(
        f"{API}/suppressions", headers=admin.headers, json={"phone": "+33612345678"}
    )
    assert again.status_code == 200 and again.json["id"] == made.json["id"]
    listed = client.get(
        f"{API}/suppressions", headers=admin.headers, query_string={"phone": "0612345678"}
    ).json
    assert [item["id"] for item in listed["items"]] == [made.json["id"]]

    other = create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    assert client.get(f"{API}/suppressions", headers=other.headers).json["items"] == []
    entry = f"{API}/suppressions/{made.json['id']}"
    assert_error(client.delete(entry, headers=other.headers), 404)
    assert_error(
        client.post(f"{API}/suppressions", headers=admin.headers, json={"phone": "12"}), 422
    )
    seller = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Marie"}).json
    as_seller = seller_key(client, admin, seller["id"])
    assert_error(client.get(f"{API}/suppressions", headers=as_seller.headers), 403)

    assert client.delete(entry, headers=admin.headers).status_code == 204
    assert client.get(f"{API}/suppressions", headers=admin.headers).json["items"] == []


def start_campaign(client, admin, tmp_path) -> str:
    """A campaign over PHONES with Marie's message, launched; returns its URL."""
    seller = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Marie"}).json
    speech = make_sounds(tmp_path).speech
    boundary, body = encode_multipart({
        "file": FileStorage(io.BytesIO(speech.read_bytes()), filename="m.wav"),
        "seller_id": str(seller["id"]),
    })  # fmt: skip
    client.post(
        f"{API}/recordings",
        headers=admin.headers,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    for phone in PHONES:
        contact = {"phone": phone, "seller_id": seller["id"]}
        assert (
            client.post(f"{API}/contacts", headers=admin.headers, json=contact).status_code == 201
        )
    campaign = client.post(f"{API}/campaigns", headers=admin.headers, json={
        "name": "Entretien", "audience": {"kind": "all"}, "max_attempts": 1,
        "calling_window": {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"},
        "calls_per_second": 50,
    }).json  # fmt: skip
    return f"{API}/campaigns/{campaign['id']}"


def work(app, queues: list[str], max_jobs: int | None = None) -> None:
    with app.app_context():
        worker = JobWorker([get_queue(name) for name in queues], connection=get_redis())
        worker.work(burst=True, max_jobs=max_jobs, with_scheduler=True)


def dialed_numbers(carrier) -> list[str]:
    with urllib.request.urlopen(f"{carrier.url}/_sim/calls", timeout=5) as response:
        body = json.load(response)
    calls = body["calls"] if isinstance(body, dict) else body
    return sorted(call["to"] for call in calls)


def finish(app, client, admin, url, run_jobs) -> dict[str, dict]:
    deadline = time.monotonic() + 30
    while client.get(url, headers=admin.headers).json["status"] != "completed":
        assert time.monotonic() < deadline, "the campaign did not finish"
        run_jobs()
        time.sleep(0.1)
    deliveries = client.get(f"{url}/deliveries", headers=admin.headers).json["items"]
    return {delivery["phone"]: delivery for delivery in deliveries}


def test_a_number_on_the_list_at_launch_is_left_out_with_the_reason(
    app, client, admin, carrier, public_app, run_jobs, tmp_path
):
    url = start_campaign(client, admin, tmp_path)
    run_jobs()  # the recording gets ready
    client.post(f"{API}/suppressions", headers=admin.headers, json={"phone": PHONES[0]})
    assert client.post(f"{url}/launch", headers=admin.headers).status_code == 202
    by_phone = finish(app, client, admin, url, run_jobs)
    assert (by_phone[PHONES[0]]["status"], by_phone[PHONES[0]]["reason"]) == (
        "excluded", "suppressed"
    )  # fmt: skip
    assert dialed_numbers(carrier) == PHONES[1:]


def test_an_opt_out_while_the_campaign_runs_stops_the_next_dial(
    app, client, admin, carrier, public_app, run_jobs, tmp_path
):
    url = start_campaign(client, admin, tmp_path)
    run_jobs()  # the recording gets ready
    assert client.post(f"{url}/launch", headers=admin.headers).status_code == 202
    work(app, [PLANNING])  # the deliveries are planned
    work(app, [DIALING], max_jobs=1)  # a dispatcher round has claimed them: the dial job waits
    counts = client.get(url, headers=admin.headers).json["counts"]
    assert counts == {"dialing": len(PHONES)}, counts

    client.post(f"{API}/suppressions", headers=admin.headers, json={"phone": PHONES[2]})
    by_phone = finish(app, client, admin, url, run_jobs)

    assert dialed_numbers(carrier) == [PHONES[0], PHONES[1], PHONES[3]]
    stopped = by_phone[PHONES[2]]
    assert (stopped["status"], stopped["reason"], stopped["attempts"]) == (
        "excluded", "suppressed", []
    )  # fmt: skip
    assert {by_phone[phone]["status"] for phone in PHONES if phone != PHONES[2]} == {
        "voicemail_left"
    }


def upload(client, admin, content: bytes, **fields):
    boundary, body = encode_multipart(
        {"file": FileStorage(io.BytesIO(content), filename="dnc.csv"), **fields}
    )
    return client.post(
        f"{API}/suppressions/import",
        headers=admin.headers,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_a_do_not_call_file_adds_its_numbers_and_reports_every_bad_row(client, admin):
    client.post(f"{API}/suppressions", headers=admin.headers, json={"phone": "0612345601"})
    french_excel = (
        "Téléphone;Motif\r\n"
        "06 12 34 56 01;déjà là\r\n"
        "06 12 34 56 02;courrier du client\r\n"
        "\r\n"
        "pas un numéro;\r\n"
        "+33 6 12 34 56 03;\r\n"
        "0612345602;encore\r\n"
        ";sans numéro\r\n"
    ).encode("cp1252")
    report = upload(client, admin, french_excel, reason="Bloctel 2026-11")
    assert report.status_code == 200, report.json
    assert {key: report.json[key] for key in
            ("rows", "added", "already_listed", "duplicates", "rejected")} == {
        "rows": 6, "added": 2, "already_listed": 1, "duplicates": 1, "rejected": 2,
    }  # fmt: skip
    assert [error["line"] for error in report.json["errors"]] == [5, 8]
    assert "not a" in report.json["errors"][0]["reason"]
    assert report.json["errors"][1]["reason"] == "no number in this row"
    assert (report.json["encoding"], report.json["delimiter"]) == ("windows-1252", ";")
    listed = client.get(f"{API}/suppressions", headers=admin.headers).json["items"]
    by_phone = {item["phone"]: item for item in listed}
    assert by_phone["+33612345602"]["reason"] == "courrier du client"
    assert by_phone["+33612345603"]["reason"] == "Bloctel 2026-11"  # the form's reason
    assert by_phone["+33612345603"]["source"] == "import"
    assert by_phone["+33612345601"]["source"] == "api"  # left as it was


def test_a_bare_list_of_numbers_is_read_without_a_header(client, admin):
    report = upload(client, admin, b"0612345611\n0612345612\n").json
    assert (report["rows"], report["added"]) == (2, 2)
    empty = upload(client, admin, b"")
    assert "empty" in assert_error(empty, 422)["message"]
