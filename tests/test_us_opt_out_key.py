"""A US drop that reaches a person (issue 22, point 4; 47 CFR 64.1200(b)): the business and a
number to call back at the start, an opt-out key offered during the message, which puts the
number on the do-not-call list at once, confirmed by voice, so that the next campaign skips it.
Played out by the carrier simulator against our signed webhooks over HTTP."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from tests.audio import Sounds, make_sounds
from tests.carrier_fixtures import TOKEN
from tests.helpers import create_tenant
from tests.test_callbacks_end_to_end import launch, status
from tests.test_campaign_delivery import ledger, run_until, sim_post, upload
from tests.twilio_conformance import call_update_violations

API = "/api/v1"
pytest_plugins = ["tests.carrier_fixtures"]  # carrier, public_app
LINE = "+12135550100"  # the account's caller ID: the number a person is told to call back
PERSON = "+12135550145"  # the simulator's last digit 5: a person answers
MACHINE = "+12135550140"  # last digit 0: a voicemail with a beep
SAID_NUMBER = "2 1 3, 5 5 5, 0 1 0 0"


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Sounds:
    return make_sounds(tmp_path_factory.mktemp("opt-out-sounds"))


def deliveries(client, admin, campaign_id: int) -> dict[str, dict]:
    url = f"{API}/campaigns/{campaign_id}/deliveries"
    return {item["phone"]: item for item in client.get(url, headers=admin.headers).json["items"]}


def us_account_with_two_contacts(app, runner, client, sounds, run_jobs):
    admin = create_tenant(runner, client, "Lone Star Motors", "gm@lonestar.example", "US")
    set_id = runner.invoke(args=["account", "set-caller-id", str(admin.account_id), LINE])
    assert set_id.exit_code == 0, set_id.output
    seller = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Joe"}).json
    upload(client, admin.headers, sounds.speech, seller["id"])
    for phone in (PERSON, MACHINE):
        contact = {"phone": phone, "seller_id": seller["id"]}
        made = client.post(f"{API}/contacts", headers=admin.headers, json=contact)
        assert made.status_code == 201, made.json
    run_jobs()  # the recording gets ready
    return admin


def test_a_person_presses_the_opt_out_key_during_a_us_drop_and_the_next_campaign_skips_them(
    app, runner, client, carrier, public_app, sounds, run_jobs
):
    admin = us_account_with_two_contacts(app, runner, client, sounds, run_jobs)
    with app.app_context():
        from voicecast.delivery.optout import intro

        spoken = intro("Lone Star Motors", LINE, "US")
    intro_s = 0.4 * len(spoken.split())  # the simulator's speaking time of a <Say>
    # The person presses 9 two seconds into the message, after the identification.
    sim_post(carrier, "/_sim/mailboxes", {PERSON: {"presses": "9", "presses_at_s": intro_s + 2}})
    # The mailbox "presses" too: a machine never does (nothing to press).
    sim_post(carrier, "/_sim/mailboxes", {MACHINE: {"presses": "9", "presses_at_s": 1}})

    first = launch(client, admin, "Winter service")
    run_until(run_jobs, lambda: status(client, admin, first) == "completed")

    calls = {call["to"]: call for call in ledger(carrier)}
    person = calls[PERSON]
    opening = person["said"][0]
    assert opening["text"].startswith("This is a message from Lone Star Motors.")
    assert SAID_NUMBER in opening["text"] and "press 9" in opening["text"]
    assert opening["language"] == "en-US"
    # The message started after the identification and was cut by the key, 2 s in.
    [message] = person["played"]
    assert message["complete"] is False and message["document"] == "initial"
    assert person["digits"] == ["9"]
    assert "do-not-call list" in person["said"][-1]["text"]  # confirmed by voice
    assert [doc["url"].rsplit("/", 1)[-1] for doc in person["twiml"]] == ["answer", "optout"]
    assert person["twiml"][-1]["body"].endswith("<Hangup /></Response>")
    for call in calls.values():  # every document passes the check a call update gets
        for document in call["twiml"]:
            assert call_update_violations({"Twiml": [document["body"]]}) == [], document
        assert call["warnings"] == [] and call["errors"] == [], call
    # The machine left its voicemail as before: after the beep, to its end, no key.
    machine = calls[MACHINE]
    assert machine["digits"] == [] and machine["voicemail"]["complete_plays"] == 1

    done = deliveries(client, admin, first)
    assert done[PERSON]["status"] == "human_reached"
    assert done[PERSON]["attempts"][0]["opted_out_at"] is not None  # the attempt records it
    assert done[MACHINE]["status"] == "voicemail_left"
    assert done[MACHINE]["attempts"][0]["opted_out_at"] is None
    [entry] = client.get(f"{API}/suppressions", headers=admin.headers).json["items"]
    assert (entry["phone"], entry["source"]) == (PERSON, "opt_out_key")
    assert entry["reason"].startswith("Pressed 9 during the message of campaign Winter service")

    second = launch(client, admin, "Spring offers")
    run_until(run_jobs, lambda: status(client, admin, second) == "completed")
    skipped = deliveries(client, admin, second)
    assert (skipped[PERSON]["status"], skipped[PERSON]["reason"]) == ("excluded", "suppressed")
    assert skipped[PERSON]["attempts"] == []
    assert skipped[MACHINE]["status"] == "voicemail_left"
    assert sorted(call["to"] for call in ledger(carrier)) == sorted([PERSON, MACHINE, MACHINE])


def signed(app, client, path: str, params: dict[str, str], token: str = TOKEN):
    url = app.config["PUBLIC_BASE_URL"] + path
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def test_the_opt_out_webhook_is_signed_idempotent_and_refuses_another_call(
    app, runner, client, carrier, public_app, sounds, run_jobs
):
    admin = us_account_with_two_contacts(app, runner, client, sounds, run_jobs)
    sim_post(carrier, "/_sim/rules", {PERSON: "human"})
    campaign = launch(client, admin, "Winter service")
    run_until(run_jobs, lambda: status(client, admin, campaign) == "completed")
    [attempt] = deliveries(client, admin, campaign)[PERSON]["attempts"]
    assert attempt["opted_out_at"] is None  # nobody pressed anything
    # The attempt's id is in its webhook URLs: read it from the ledger.
    answer_url = next(
        doc["url"] for call in ledger(carrier) if call["to"] == PERSON for doc in call["twiml"]
    )
    attempt_id = int(answer_url.rstrip("/").split("/")[-2])
    path = f"/twilio/attempts/{attempt_id}/optout"
    params = {"CallSid": attempt["call_sid"], "Digits": "9"}

    assert client.post(path, data=params).status_code == 403  # unsigned
    replies = [signed(app, client, path, params) for _ in range(2)]
    assert [reply.status_code for reply in replies] == [200, 200]
    assert replies[0].data == replies[1].data and b"do-not-call list" in replies[0].data
    stamped = deliveries(client, admin, campaign)[PERSON]["attempts"][0]["opted_out_at"]
    assert stamped is not None
    signed(app, client, path, params)
    assert deliveries(client, admin, campaign)[PERSON]["attempts"][0]["opted_out_at"] == stamped
    assert len(client.get(f"{API}/suppressions", headers=admin.headers).json["items"]) == 1

    other_call = {"CallSid": "CA" + "f" * 32, "Digits": "9"}
    assert signed(app, client, path, other_call).status_code == 404
    assert signed(app, client, "/twilio/attempts/999999/optout", params).status_code == 404
    # Another key: the offer again and the message from its start, no opt-out.
    wrong = signed(app, client, path, {"CallSid": attempt["call_sid"], "Digits": "1"})
    assert wrong.status_code == 200 and b"To stop these calls, press 9." in wrong.data
    assert b"<Gather" in wrong.data and b"<Play>" in wrong.data
    assert call_update_violations({"Twiml": [wrong.data.decode()]}) == []


def test_the_simulator_refuses_a_key_script_it_cannot_play():
    from voicecast.simulator.mailboxes import MailboxBook

    book = MailboxBook()
    for wrong in ({"presses": "9a"}, {"presses": ""}, {"presses": 9}, {"presses_at_s": -1}):
        with pytest.raises(ValueError):
            book.set_scripts({PERSON: wrong})
    book.set_scripts({"45": {"presses": "9", "presses_at_s": 12}})
    mailbox, origin = book.for_number(PERSON)
    assert (mailbox.presses, mailbox.presses_at_s, origin) == ("9", 12, "script 45")
