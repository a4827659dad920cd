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


def campaign_of(
    client, runner, sounds, run_jobs, phones, seller_phone=None, before_launch=None, **policy
):
    """A French account's campaign to `phones` with Marie's message, run to completion; its
    API url, headers and deliveries by phone. `before_launch(headers)`: called once the
    message is ready."""
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
    if before_launch is not None:
        before_launch(admin.headers)
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
    client, runner, paced_carrier, public_app, sounds, run_jobs
):
    """Two mailboxes, one of which stops recording 2 s after its beep: only the other counts
    as a voicemail left, as the simulator's ledger of complete plays says, and the cut one is
    counted apart on the campaign, in the export (in French) and retried per the policy."""
    full, cutting = "+33612345600", "+33612345610"
    carrier = paced_carrier
    sim_post(carrier, "/_sim/mailboxes", {cutting: {"cut_after_s": 2}})
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


def test_a_message_cut_in_its_last_second_is_cut_though_the_call_outlasts_it(
    client, runner, paced_carrier, public_app, sounds, run_jobs
):
    """The mailbox stops 0.2 s before the message's end. Its beep is set so that the call's
    whole-second duration (rounded up) still exceeds verdict + message: read from the
    duration, the message looked left; the carrier never asked what follows it, so it is cut."""
    cutting = "+33612345640"

    def cut_in_the_last_second(headers):
        [message] = client.get(f"{API}/recordings", headers=headers).json["items"]
        length = message["duration_seconds"]
        beep = 3 + 0.6 - (length % 1)  # beep + length ends in .6: ceil(beep + cut) > it
        script = {"greeting_s": beep, "cut_after_s": length - 0.2}
        sim_post(paced_carrier, "/_sim/mailboxes", {cutting: script})

    _, _, by_phone = campaign_of(
        client, runner, sounds, run_jobs, [cutting], before_launch=cut_in_the_last_second,
        max_attempts=1,
    )  # fmt: skip
    [call] = ledger(paced_carrier)
    assert call["voicemail"]["complete_plays"] == 0 and call["amd"]["cut_at_s"] is not None
    assert by_phone[cutting]["status"] == "voicemail_cut"


def test_a_cut_message_is_dialed_again_while_attempts_remain(
    app, client, runner, paced_carrier, public_app, sounds, run_jobs
):
    cutting = "+33612345610"
    sim_post(paced_carrier, "/_sim/mailboxes", {cutting: {"cut_after_s": 2}})
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
    [call] = [call for call in ledger(carrier) if call["to"] == person]  # not the seller's leg
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


def test_a_verdict_after_the_call_ended_decides_the_outcome_once(app, client, attempt):  # noqa: F811
    """The call ended before its verdict came: the delivery waits for it (a failure dialed
    again could be a person who heard the message), the late verdict decides it, once."""
    assert completed(client, app, attempt, 4, 3).status_code == 204
    assert state(app, attempt)[:2] == ("completed", "dialing")
    assert attempt_row(app, attempt)[2] is None  # no outcome yet
    assert verdict(client, app, attempt, "fax", 2000).status_code == 204
    assert state(app, attempt)[:2] == ("completed", "undeliverable")
    assert attempt_row(app, attempt) == ("fax", 2000, "undeliverable")
    assert verdict(client, app, attempt, "human", 1200).status_code == 204
    assert attempt_row(app, attempt) == ("fax", 2000, "undeliverable")
    assert signed_post(client, app, "/twilio/attempts/999999/amd", {}).status_code == 404


def test_a_person_under_synchronous_amd_is_put_through_like_under_async(app, client, attempt):  # noqa: F811
    """A call dialed before async AMD (its verdict in the pick-up webhook) puts a person
    through to the seller the same way: caller ID, ring time, whisper and action."""
    from sqlalchemy import select, update

    from voicecast.extensions import db
    from voicecast.models import Attempt, Campaign, Delivery, User

    with app.app_context():
        row = db.session.get(Attempt, attempt)
        seller = db.session.scalar(select(User).limit(1))
        seller.phone = "+33611000001"
        db.session.execute(update(Delivery).values(seller_id=seller.id))
        db.session.execute(
            update(Campaign).where(Campaign.id == row.campaign_id).values(human_policy="connect")
        )
        db.session.commit()
    params = {"CallSid": "CA" + "1" * 32, "AnsweredBy": "human", "From": "+33159000000"}
    reply = signed_post(client, app, f"/twilio/attempts/{attempt}/answer", params)
    document = reply.get_data(as_text=True)
    assert reply.status_code == 200 and 'callerId="+33159000000"' in document
    assert 'timeout="20"' in document and f"/twilio/attempts/{attempt}/connected" in document
    assert f"/twilio/attempts/{attempt}/whisper" in document
    assert "+33611000001</Number>" in document
    assert attempt_row(app, attempt)[0] == "human"


def test_a_seller_who_does_not_take_the_call_leaves_the_person_the_message(
    app,
    client,
    attempt,  # noqa: F811
):
    """The Dial's action: the seller took it (the call ends with the bridge), or not (no
    answer, busy, refused the whisper): the person hears the seller's message, marked played."""
    from voicecast.extensions import db
    from voicecast.models import Attempt

    recording_id = with_a_message(app)
    path = f"/twilio/attempts/{attempt}/connected"
    taken = signed_post(client, app, path, {"DialCallStatus": "completed"})
    assert "<Play" not in taken.get_data(as_text=True)
    missed = signed_post(client, app, path, {"DialCallStatus": "no-answer"})
    document = missed.get_data(as_text=True)
    assert missed.status_code == 200 and "<Play>" in document and "<Hangup" in document
    with app.app_context():
        assert db.session.get(Attempt, attempt).played_recording_id == recording_id


def with_a_message(app) -> int:
    """Give the attempt fixture's delivery a ready recording to play; its id."""
    from sqlalchemy import select, update

    from voicecast.extensions import db
    from voicecast.models import Delivery, Recording, User

    with app.app_context():
        user = db.session.scalar(select(User).limit(1))
        recording = Recording(account_id=user.account_id, seller_id=user.id, purpose="voicemail",
                              version=1, status="ready", active=True, original_bytes=1,
                              carrier_key="k", carrier_sha256="0" * 64,
                              duration_seconds=7.0)  # fmt: skip
        db.session.add(recording)
        db.session.flush()
        db.session.execute(update(Delivery).values(recording_id=recording.id))
        db.session.commit()
        return recording.id


def carrier_takes_redirects(monkeypatch) -> None:
    """The carrier answers the verdict's redirect 200 (whether it then plays it is its own)."""
    from voicecast.delivery import amd

    monkeypatch.setattr(amd, "redirect", lambda sid, twiml: True)


def test_a_redirect_the_carrier_took_but_did_not_play_is_played_when_the_hold_runs_out(
    app,
    client,
    attempt,  # noqa: F811
    monkeypatch,
):
    """The verdict's redirect reached the carrier as the held line's pause ended: the carrier
    took it (200) and went on to the hold's end all the same. Asked then, we play the message
    rather than hang up on a mailbox that never got it."""
    with_a_message(app)
    carrier_takes_redirects(monkeypatch)
    assert verdict(client, app, attempt, "machine_end_beep", 6000).status_code == 204
    over = signed_post(client, app, f"/twilio/attempts/{attempt}/held?over=1", {})
    document = over.get_data(as_text=True)
    assert over.status_code == 200 and "<Play>" in document and "/played</Redirect>" in document


def test_a_short_message_played_to_its_end_is_left_when_the_call_ends_before_its_mark(
    app,
    client,
    attempt,  # noqa: F811
    monkeypatch,
):
    """CI met it: the carrier took the verdict's redirect, played the whole message and ended
    the call, and the call's last report was applied before the web node marked the message
    started. The carrier's request at the message's end is the proof: voicemail left."""
    from voicecast.delivery import amd

    with_a_message(app)

    def carrier_plays_it_all_at_once(sid, twiml):
        if "/played</Redirect>" in twiml:  # what follows the message: asked at its end
            played = signed_post(client, app, f"/twilio/attempts/{attempt}/played", {})
            assert played.status_code == 200 and "<Hangup" in played.get_data(as_text=True)
        assert completed(client, app, attempt, 4, 14).status_code == 204
        return True

    monkeypatch.setattr(amd, "redirect", carrier_plays_it_all_at_once)
    assert verdict(client, app, attempt, "machine_end_beep", 6000).status_code == 204
    assert state(app, attempt)[:2] == ("completed", "voicemail_left")
    assert attempt_row(app, attempt)[2] == "voicemail_left"


def test_a_message_cut_at_once_is_cut_when_the_call_ends_before_the_redirect_s_answer(
    app,
    client,
    attempt,  # noqa: F811
    monkeypatch,
):
    """CI met it: the carrier took the redirect, the mailbox hung up as the message started,
    and the call's last report reached us before the carrier's answer to the redirect did. The
    call's end waits for that answer: the message started, so it was cut (not failed)."""
    from voicecast.delivery import amd

    with_a_message(app)

    meanwhile = []

    def carrier_takes_it_and_the_mailbox_hangs_up(sid, twiml):
        meanwhile.append(completed(client, app, attempt, 4, 7).status_code)
        meanwhile.append(state(app, attempt)[:2])
        return True

    monkeypatch.setattr(amd, "redirect", carrier_takes_it_and_the_mailbox_hangs_up)
    assert verdict(client, app, attempt, "machine_end_beep", 6000).status_code == 204
    assert meanwhile == [204, ("completed", "dialing")]  # the end waited for the answer
    assert state(app, attempt)[:2] == ("completed", "pending")  # dialed again
    assert attempt_row(app, attempt)[2] == "voicemail_cut"


def test_a_hold_that_runs_out_while_the_redirect_awaits_its_answer_waits_for_it(
    app,
    client,
    attempt,  # noqa: F811
    monkeypatch,
):
    """The hold's end and the verdict's redirect cross: the hold does not hang up on a call the
    carrier may be redirecting to the message; it asks again shortly, and then plays it."""
    from voicecast.delivery import amd

    with_a_message(app)
    documents = []

    def hold_runs_out_meanwhile(sid, twiml):
        over = signed_post(client, app, f"/twilio/attempts/{attempt}/held?over=1", {})
        documents.append(over.get_data(as_text=True))
        return True

    monkeypatch.setattr(amd, "redirect", hold_runs_out_meanwhile)
    assert verdict(client, app, attempt, "machine_end_beep", 6000).status_code == 204
    [waiting] = documents
    assert '<Pause length="2"/>' in waiting and "held?over=1" in waiting
    assert "<Hangup" not in waiting and "<Play>" not in waiting
    again = signed_post(client, app, f"/twilio/attempts/{attempt}/held?over=1", {})
    assert "<Play>" in again.get_data(as_text=True)  # taken: the message


def test_a_message_the_mailbox_cut_is_cut_however_long_the_call(
    app,
    client,
    attempt,  # noqa: F811
    monkeypatch,
):
    """The carrier took the redirect and the message started, but the mailbox hung up before
    its end (the carrier never asked what follows it): cut, dialed again, even when the call's
    duration (whole seconds, counted from the answer) reads longer than verdict + message."""
    with_a_message(app)  # 7 s
    carrier_takes_redirects(monkeypatch)
    assert verdict(client, app, attempt, "machine_end_beep", 6000).status_code == 204
    assert completed(client, app, attempt, 4, 14).status_code == 204
    assert state(app, attempt)[:2] == ("completed", "pending")  # dialed again
    assert attempt_row(app, attempt)[2] == "voicemail_cut"
    assert signed_post(client, app, "/twilio/attempts/999999/played", {}).status_code == 404


def test_a_redirect_taken_after_the_hold_ran_out_counts_nothing_played(
    app,
    client,
    attempt,  # noqa: F811
    monkeypatch,
):
    """The hold ran out (the carrier hangs up) before the verdict came; the carrier still
    answered the verdict's redirect 200 in that instant: nothing was played, so the call's
    long duration (the held line) must not make it a voicemail left."""
    with_a_message(app)
    carrier_takes_redirects(monkeypatch)
    over = signed_post(client, app, f"/twilio/attempts/{attempt}/held?over=1", {})
    assert "<Play" not in over.get_data(as_text=True) and "<Hangup" in over.get_data(as_text=True)
    assert verdict(client, app, attempt, "machine_end_beep", 6000).status_code == 204
    assert completed(client, app, attempt, 4, 43).status_code == 204
    assert state(app, attempt)[:2] == ("completed", "pending")  # failed, dialed again
    assert attempt_row(app, attempt)[2] == "failed"
