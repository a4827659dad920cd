"""What the customer hears, end to end over the carrier simulator: a message counts as left only
when the mailbox recorded it to its end, what cannot take a message ends with its reason and is
not dialed again, a person under `connect` is put through to the seller properly, and the async
AMD verdict and the status callbacks may come in either order."""

from __future__ import annotations

import pytest

from tests.audio import Sounds, make_sounds
from tests.helpers import create_tenant
from tests.test_campaign_delivery import ledger, run_until, sim_post, upload
from tests.test_exports import read_csv
from tests.test_twilio_webhooks import attempt, signed_post, state  # noqa: F401 (fixture)

API = "/api/v1"
pytest_plugins = ["tests.carrier_fixtures"]  # carrier, public_app
WINDOW = {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Sounds:
    return make_sounds(tmp_path_factory.mktemp("ear-sounds"))


def campaign_of(client, runner, sounds, run_jobs, phones, seller_phone=None, **policy):
    """A French account's campaign to `phones` with Marie's message, run to completion; its
    API url, headers and deliveries by phone."""
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    runner.invoke(args=["account", "set-caller-id", str(admin.account_id), "+33159000000"])
    seller_body = {"name": "Marie", **({"phone": seller_phone} if seller_phone else {})}
    seller = client.post(f"{API}/sellers", headers=admin.headers, json=seller_body).json
    upload(client, admin.headers, sounds.speech, seller["id"])
    run_jobs()
    for phone in phones:
        body = {"phone": phone, "seller_id": seller["id"]}
        assert client.post(f"{API}/contacts", headers=admin.headers, json=body).status_code == 201
    body = {"name": "Entretien", "audience": {"kind": "all"}, "calling_window": WINDOW,
            "calls_per_second": 50, "retry_delays_seconds": [60], **policy}  # fmt: skip
    campaign = client.post(f"{API}/campaigns", headers=admin.headers, json=body).json
    url = f"{API}/campaigns/{campaign['id']}"
    assert client.post(f"{url}/launch", headers=admin.headers).status_code == 202
    run_until(run_jobs, lambda: client.get(url, headers=admin.headers).json["status"] in
              ("completed",) or all_decided(client, url, admin.headers))  # fmt: skip
    items = client.get(f"{url}/deliveries", headers=admin.headers).json["items"]
    return url, admin.headers, {item["phone"]: item for item in items}


def all_decided(client, url, headers) -> bool:
    """Every delivery final, or waiting for a retry (the test does not wait for retries)."""
    items = client.get(f"{url}/deliveries", headers=headers).json["items"]
    return all(item["status"] not in ("dialing",) and item["attempts"] for item in items)


def test_a_message_the_mailbox_cut_is_a_voicemail_cut_not_a_voicemail_left(
    client, runner, carrier, public_app, sounds, run_jobs
):
    """Two mailboxes, one of which stops recording 1 s after its beep: only the other counts
    as a voicemail left, as the simulator's ledger of complete plays says, and the cut one is
    counted apart on the campaign, in the export (in French) and retried per the policy."""
    full, cutting = "+33612345600", "+33612345610"
    sim_post(carrier, "/_sim/mailboxes", {cutting: {"cut_after_s": 1}})
    url, headers, by_phone = campaign_of(
        client, runner, sounds, run_jobs, [full, cutting], max_attempts=1
    )
    calls = {call["to"]: call for call in ledger(carrier)}
    assert calls[full]["voicemail"]["complete_plays"] == 1
    assert calls[cutting]["voicemail"]["complete_plays"] == 0
    assert calls[cutting]["amd"]["cut_at_s"] is not None
    assert by_phone[full]["status"] == "voicemail_left"
    assert by_phone[cutting]["status"] == "voicemail_cut"
    counts = client.get(url, headers=headers).json["counts"]
    assert counts["voicemail_left"] == 1 and counts["voicemail_cut"] == 1
    rows = read_csv(client.get(f"{url}/deliveries.csv?delimiter=semicolon", headers=headers), ";")
    assert {row["Statut"] for row in rows} == {"Message déposé", "Message coupé"}


def test_a_cut_message_is_dialed_again_while_attempts_remain(
    app, client, runner, carrier, public_app, sounds, run_jobs
):
    cutting = "+33612345610"
    sim_post(carrier, "/_sim/mailboxes", {cutting: {"cut_after_s": 1}})
    _, _, by_phone = campaign_of(client, runner, sounds, run_jobs, [cutting], max_attempts=2)
    assert by_phone[cutting]["status"] == "pending"
    assert by_phone[cutting]["reason"] == "retry after voicemail_cut"


def test_a_fax_and_an_unknown_answer_under_hang_up_end_with_their_reason_and_no_redial(
    client, runner, carrier, public_app, sounds, run_jobs
):
    fax, unknown = "+33612345620", "+33612345630"
    sim_post(carrier, "/_sim/rules", {fax: "fax", unknown: "unknown"})
    _, _, by_phone = campaign_of(
        client, runner, sounds, run_jobs, [fax, unknown], max_attempts=3, unknown_policy="hang_up"
    )
    for phone, reason in ((fax, "fax"), (unknown, "unknown")):
        assert by_phone[phone]["status"] == "undeliverable", by_phone[phone]
        assert by_phone[phone]["reason"] == reason
        assert len(by_phone[phone]["attempts"]) == 1
    calls = ledger(carrier)
    assert sorted(call["to"] for call in calls) == sorted([fax, unknown])  # dialed once each
    # Both heard the first document from the answer, as a person would; no verdict played
    # them the message (the fax was hung up on, the unknown left).
    assert all(entry["document"] == "initial" for call in calls for entry in call["played"])
    assert all(call["amd"]["verdict"] in ("fax", "unknown") for call in calls)


def test_a_person_under_connect_is_put_through_with_caller_id_timeout_whisper_and_action(
    client, runner, carrier, public_app, sounds, run_jobs
):
    person = "+33612345605"
    _, _, by_phone = campaign_of(
        client, runner, sounds, run_jobs, [person], seller_phone="+33611000001",
        max_attempts=1, human_policy="connect",
    )  # fmt: skip
    assert by_phone[person]["status"] == "human_reached"
    [call] = ledger(carrier)
    [dial_document] = [doc["body"] for doc in call["twiml"] if "<Dial" in (doc["body"] or "")]
    assert 'callerId="+33159000000"' in dial_document  # the number the drop came from
    assert 'timeout="20"' in dial_document and 'answerOnBridge="true"' in dial_document
    assert "/connected" in dial_document and 'action="http' in dial_document
    assert "/whisper" in dial_document and "+33611000001</Number>" in dial_document


def test_the_seller_hears_who_picked_up_and_must_press_1(app, client, attempt):  # noqa: F811
    whisper = signed_post(client, app, f"/twilio/attempts/{attempt}/whisper", {})
    body = whisper.get_data(as_text=True)
    assert whisper.status_code == 200 and "Appuyez sur 1" in body and 'numDigits="1"' in body
    refused = signed_post(client, app, f"/twilio/attempts/{attempt}/accept", {"Digits": "2"})
    assert "<Hangup" in refused.get_data(as_text=True)
    taken = signed_post(client, app, f"/twilio/attempts/{attempt}/accept", {"Digits": "1"})
    assert "<Hangup" not in taken.get_data(as_text=True)


def verdict(client, app, attempt_id: int, answered_by: str, ms: int):
    params = {"CallSid": "CA" + "1" * 32, "AnsweredBy": answered_by,
              "MachineDetectionDuration": str(ms)}  # fmt: skip
    return signed_post(client, app, f"/twilio/attempts/{attempt_id}/amd", params)


def completed(client, app, attempt_id: int, sequence: int, duration: int):
    params = {"CallSid": "CA" + "1" * 32, "CallStatus": "completed",
              "SequenceNumber": str(sequence), "CallDuration": str(duration)}  # fmt: skip
    return signed_post(client, app, f"/twilio/attempts/{attempt_id}/status", params)


def attempt_row(app, attempt_id: int):
    with app.app_context():
        from voicecast.extensions import db
        from voicecast.models import Attempt

        row = db.session.get(Attempt, attempt_id)
        return row.answered_by, row.detection_ms, row.outcome


def test_the_first_verdict_is_kept_and_a_late_one_changes_nothing(app, client, attempt):  # noqa: F811
    assert verdict(client, app, attempt, "machine_end_beep", 8000).status_code == 204
    assert verdict(client, app, attempt, "human", 1500).status_code == 204  # duplicate/late
    assert attempt_row(app, attempt)[:2] == ("machine_end_beep", 8000)
    assert completed(client, app, attempt, 4, 9).status_code == 204
    # The contact has no recording here: nothing was played, so no voicemail was left.
    assert state(app, attempt)[:2] == ("completed", "pending")
    assert verdict(client, app, attempt, "machine_end_beep", 8000).status_code == 204
    assert state(app, attempt)[:2] == ("completed", "pending")


def test_a_verdict_after_the_call_ended_leaves_the_decided_outcome(app, client, attempt):  # noqa: F811
    assert completed(client, app, attempt, 4, 3).status_code == 204
    before = state(app, attempt)
    assert verdict(client, app, attempt, "fax", 2000).status_code == 204
    assert state(app, attempt) == before  # decided once, by the report that ended it
    assert signed_post(client, app, "/twilio/attempts/999999/amd", {}).status_code == 404
