"""Customers call back after a campaign, through the carrier simulator: it plays each inbound
call against our signed webhooks over HTTP (`/_sim/inbound`), dialing the seller it is told to,
playing the whisper, recording voicemails and sending our text messages."""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta

import pytest

from tests.audio import Sounds, make_sounds
from tests.browser import PHONE, screenshot
from tests.helpers import create_tenant
from tests.test_campaign_delivery import ledger, run_until, upload
from voicecast.callbacks import sms
from voicecast.models.base import utcnow

API = "/api/v1"
pytest_plugins = ["tests.carrier_fixtures", "tests.browser_fixtures"]  # carrier, public_app
MARIE_PHONE, MARIE_LINE, SHARED, DESK = (
    "+33611000001",
    "+33159000001",
    "+33159000000",
    "+33144000000",
)
JEANNE = "+33612345601"  # the simulator leaves a voicemail for numbers ending in 1
PIERRE = "+33612345611"
SENDER_ID = "Dupont Auto"  # the garage's alphanumeric sender ID: its numbers are landlines
EVERY_DAY = {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Sounds:
    return make_sounds(tmp_path_factory.mktemp("callback-sounds"))


def sim(carrier, path: str, body: dict | None = None):
    """GET (or POST `body` as JSON to) the simulator's `path`."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        carrier.url + path, data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def buy_numbers(carrier, numbers: list[str]) -> None:
    """The Twilio account holds these numbers (bought in Twilio's console)."""
    from tests.carrier_fixtures import SID, TOKEN
    from voicecast.carrier import Carrier

    carrier_client = Carrier(SID, TOKEN, carrier.url)
    for number in numbers:
        carrier_client.client.incoming_phone_numbers.create(phone_number=number)
    carrier_client.close()


@pytest.fixture
def after_campaign(app, runner, client, carrier, public_app, sounds, run_jobs):
    """Marie's campaign "Entretien 2 ans" left her message for Jeanne and Pierre; Marie has
    her own line, the account a shared one and a fallback desk."""
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    runner.invoke(args=["account", "set-caller-id", str(admin.account_id), SHARED])
    buy_numbers(carrier, [SHARED, MARIE_LINE])
    synced = runner.invoke(args=["numbers", "sync", "--account", str(admin.account_id)])
    assert synced.exit_code == 0, synced.output
    assert f"{MARIE_LINE}: registered as a shared line, now calls {public_app}/twilio/voice" in (
        synced.output
    )
    marie = client.post(
        f"{API}/sellers", headers=admin.headers,
        json={"name": "Marie", "phone": MARIE_PHONE, "callback_number": MARIE_LINE},
    ).json  # fmt: skip
    settings = {"fallback_number": DESK, "sms_sender": SENDER_ID}
    assert client.patch(f"{API}/account", headers=admin.headers, json=settings).status_code == 200
    upload(client, admin.headers, sounds.speech, marie["id"])
    for phone, first, last in ((JEANNE, "Jeanne", "Petit"), (PIERRE, "Pierre", "Durand")):
        contact = {"phone": phone, "first_name": first, "last_name": last}
        made = client.post(
            f"{API}/contacts", headers=admin.headers, json={**contact, "seller_id": marie["id"]}
        )
        assert made.status_code == 201, made.json
    run_jobs()  # the recording gets ready
    campaign = launch(client, admin, "Entretien 2 ans")
    run_until(run_jobs, lambda: status(client, admin, campaign) == "completed")
    return admin, marie, campaign


def launch(client, admin, name: str) -> int:
    campaign = client.post(f"{API}/campaigns", headers=admin.headers, json={
        "name": name, "audience": {"kind": "all"}, "max_attempts": 1,
        "calling_window": EVERY_DAY})  # fmt: skip
    assert campaign.status_code == 201, campaign.json
    url = f"{API}/campaigns/{campaign.json['id']}/launch"
    assert client.post(url, headers=admin.headers).status_code == 202
    return campaign.json["id"]


def status(client, admin, campaign_id: int) -> str:
    return client.get(f"{API}/campaigns/{campaign_id}", headers=admin.headers).json["status"]


def callbacks(client, admin) -> list[dict]:
    return client.get(f"{API}/callbacks", headers=admin.headers).json["items"]


def test_a_customer_calling_the_seller_s_line_reaches_her_after_the_whisper(
    client, carrier, after_campaign
):
    admin, _, campaign = after_campaign
    call = sim(carrier, "/_sim/inbound", {"from": JEANNE, "to": MARIE_LINE, "seller": "answers"})

    [dial] = call["dials"]
    assert (dial["to"], dial["caller_id"], dial["bridged"]) == (MARIE_PHONE, JEANNE, True)
    whisper = " ".join(said["text"] for said in dial["whisper"]["said"])
    assert "Rappel de Jeanne Petit, campagne Entretien 2 ans." in whisper
    assert dial["whisper"]["digits"] == "1"
    assert call["recordings"] == []
    [record] = callbacks(client, admin)
    assert (record["outcome"], record["route"], record["campaign_id"]) == (
        "connected", "seller_line", campaign)  # fmt: skip
    assert record["delivery_id"] is not None and record["talk_seconds"] >= 1
    stats = client.get(f"{API}/campaigns/{campaign}", headers=admin.headers).json["callbacks"]
    assert (stats["calls"], stats["connected"]) == (1, 1)
    reached = {d["phone"] for d in client.get(f"{API}/campaigns/{campaign}/deliveries",
                                               headers=admin.headers).json["items"]
               if d["status"] in ("voicemail_left", "human_reached")}  # fmt: skip
    assert stats["rate"] == round(1 / len(reached), 4)


def test_a_callback_whose_first_answer_is_lost_is_answered_by_the_fallback_url(
    client, carrier, after_campaign, monkeypatch
):
    """The web node that took the carrier's first request died with it (a 500 here): the
    carrier asks the number's fallback URL at once, and the caller still reaches Marie."""
    from voicecast.callbacks import flow

    admin, _, campaign = after_campaign
    answer, lost = flow.incoming, []

    def dies_once(params, now=None):
        if not lost:
            lost.append(params["CallSid"])
            raise RuntimeError("the web node died with the request")
        return answer(params, now)

    monkeypatch.setattr(flow, "incoming", dies_once)
    call = sim(carrier, "/_sim/inbound", {"from": JEANNE, "to": MARIE_LINE, "seller": "answers"})

    asked = [(entry["url"].rsplit("/twilio/", 1)[-1], entry["http_status"])
             for entry in call["twiml"]][:2]  # fmt: skip
    assert asked == [("voice", 500), ("voice/fallback", 200)]
    [dial] = call["dials"]
    assert (dial["to"], dial["bridged"]) == (MARIE_PHONE, True)
    [record] = callbacks(client, admin)
    assert (record["outcome"], record["route"], record["campaign_id"]) == (
        "connected", "seller_line", campaign)  # fmt: skip


def test_an_unknown_caller_goes_to_the_fallback_desk(client, carrier, after_campaign):
    admin, _, _ = after_campaign
    call = sim(carrier, "/_sim/inbound", {"from": "+33699000000", "to": SHARED})

    assert [dial["to"] for dial in call["dials"]] == [DESK]
    [record] = callbacks(client, admin)
    assert (record["route"], record["contact_id"], record["outcome"]) == (
        "fallback",
        None,
        "connected",
    )


def test_a_missed_callback_ends_in_a_voicemail_and_one_text_to_the_seller(
    app, client, carrier, after_campaign, run_jobs, set_clock
):
    admin, _, _ = after_campaign
    missed = {"from": PIERRE, "to": SHARED, "seller": "no-answer", "voicemail_seconds": 7}
    call = sim(carrier, "/_sim/inbound", missed)

    assert [dial["status"] for dial in call["dials"]] == ["no-answer"]
    [recording] = call["recordings"]
    assert recording["duration"] == 7
    [record] = callbacks(client, admin)
    assert (record["outcome"], record["route"], record["recording_seconds"]) == (
        "voicemail_left", "last_message", 7)  # fmt: skip
    run_jobs()
    run_jobs()  # a second run sends nothing more
    messages = sim(carrier, "/_sim/messages")
    messages = messages["messages"] if isinstance(messages, dict) else messages
    [text] = messages
    assert (text["to"], text["from"]) == (MARIE_PHONE, SENDER_ID)  # not the landline called
    # One GSM-7 segment, the caller's number as the seller dials it, the voicemail's page.
    assert "Pierre Durand (06 12 34 56 11), campagne Entretien 2 ans" in text["body"]
    assert (sms.encoding(text["body"]), sms.segments(text["body"])) == ("gsm7", 1)
    link = text["body"].split(": ")[-1]
    page = client.get(link.removeprefix(app.config["PUBLIC_BASE_URL"]))
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Pierre Durand" in page.text and "Entretien 2 ans" in page.text
    # The seller's link is the call-back page (tests/test_seller_follow_through.py): its one
    # button rings Marie, then Pierre from the dealership's number.
    assert "/cb/" in link and "Rappeler Pierre Durand" in page.text
    assert "Durée : 0:07" in page.text and 'preload="metadata"' in page.text
    audio_url = page.text.split('<audio controls preload="metadata" src="')[1].split('"')[0]
    audio = client.get(audio_url)
    assert audio.status_code == 200 and audio.mimetype == "audio/wav"
    assert audio.data[:4] == b"RIFF"
    ranged = client.get(audio_url, headers={"Range": "bytes=0-43"})  # a player's first read
    assert ranged.status_code == 206 and len(ranged.data) == 44
    token = audio_url.split("/voicemails/")[1].split("/")[0]  # the voicemail's own link
    assert client.get(f"/voicemails/{token}").status_code == 200
    altered = token[:-1] + ("B" if token.endswith("A") else "A")
    for forged in ("forged-token", altered, "999.AAAAAAAAAAAAAAAA"):
        assert client.get(f"/voicemails/{forged}").status_code == 404
        assert client.get(f"/voicemails/{forged}/audio").status_code == 404
    set_clock(utcnow() + timedelta(days=app.config["VOICEMAIL_LINK_DAYS"], minutes=1))
    assert client.get(f"/voicemails/{token}").status_code == 404  # the link has expired


def test_without_a_sender_a_landline_account_sends_nothing_and_says_why(
    app, runner, client, carrier, after_campaign, run_jobs
):
    """A French account whose numbers are landlines, its SMS sender unset: no text is tried
    from the called landline (Twilio would refuse it, 21606); the callback says the seller was
    not told and why, in the API and, in French, on the contact's page."""
    admin, _, _ = after_campaign
    cleared = client.patch(f"{API}/account", headers=admin.headers, json={"sms_sender": None})
    assert cleared.status_code == 200 and cleared.json["sms_sender"] is None
    missed = {"from": PIERRE, "to": SHARED, "seller": "no-answer", "voicemail_seconds": 7}
    sim(carrier, "/_sim/inbound", missed)
    run_jobs()

    messages = sim(carrier, "/_sim/messages")
    assert (messages["messages"] if isinstance(messages, dict) else messages) == []
    [record] = callbacks(client, admin)
    assert record["outcome"] == "voicemail_left" and record["notified_at"] is None
    assert record["notification"] == "not sent: no_sms_sender"
    assert record["notification_problem"].startswith("the account has no SMS sender: set")
    from tests.test_web_login import PASSWORD, log_in

    runner.invoke(args=["user", "set-password", "chef@dupont.example"],
                  input=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert log_in(client, "chef@dupont.example", PASSWORD).status_code == 302
    page = client.get(f"/contacts/{record['contact_id']}").text
    assert "Non : le compte n'a pas d'expéditeur de SMS" in page.replace("&#39;", "'")


def test_a_seller_s_own_voicemail_does_not_take_the_call(client, carrier, after_campaign):
    admin, _, _ = after_campaign
    call = sim(carrier, "/_sim/inbound", {"from": JEANNE, "to": MARIE_LINE, "seller": "voicemail"})

    [dial] = call["dials"]
    assert dial["bridged"] is False  # the whisper hung up: nobody pressed 1
    assert len(call["recordings"]) == 1  # the caller left a message with us instead
    assert callbacks(client, admin)[0]["outcome"] == "voicemail_left"


def test_the_opt_out_key_suppresses_the_number_for_the_next_campaign(
    client, carrier, after_campaign, run_jobs
):
    admin, _, _ = after_campaign
    call = sim(carrier, "/_sim/inbound", {"from": JEANNE, "to": SHARED, "caller_presses": "9"})

    assert call["dials"] == []
    said = " ".join(said["text"] for said in call["said"])
    assert "vous ne recevrez plus nos messages" in said
    [entry] = client.get(f"{API}/suppressions", headers=admin.headers).json["items"]
    assert (entry["phone"], entry["source"]) == (JEANNE, "callback")
    assert callbacks(client, admin)[0]["outcome"] == "opted_out"

    before = {call["sid"] for call in ledger(carrier) if call.get("direction") != "inbound"}
    campaign = launch(client, admin, "Reprise")
    run_until(run_jobs, lambda: status(client, admin, campaign) == "completed")
    deliveries = client.get(f"{API}/campaigns/{campaign}/deliveries", headers=admin.headers)
    by_phone = {d["phone"]: d for d in deliveries.json["items"]}
    assert (by_phone[JEANNE]["status"], by_phone[JEANNE]["reason"]) == ("excluded", "suppressed")
    dialed = [call["to"] for call in ledger(carrier)
              if call["sid"] not in before and call.get("direction") != "inbound"]  # fmt: skip
    assert JEANNE not in dialed and PIERRE in dialed


def test_a_voicemail_reported_after_the_call_s_end_still_reaches_the_seller(
    app, client, carrier, after_campaign, run_jobs
):
    """The carrier's requests race: the call's end may come before the recording's. The
    seller hears first that no message was left, then gets the voicemail all the same."""
    from tests.callback_world import signed_post
    from tests.carrier_fixtures import TOKEN

    admin, _, _ = after_campaign
    sid = "CA" + "e" * 32

    def post(path: str, **params: str):
        response = signed_post(client, app, path, {"CallSid": sid, **params}, token=TOKEN)
        assert response.status_code in (200, 204), response.get_data(as_text=True)

    post("/twilio/voice", From=PIERRE, To=SHARED, CallStatus="ringing")
    call_id = callbacks(client, admin)[0]["id"]
    post(f"/twilio/callbacks/{call_id}/dialed", DialCallStatus="no-answer")
    post("/twilio/voice/status", CallStatus="completed", CallDuration="31")
    run_jobs()
    post(f"/twilio/callbacks/{call_id}/recorded", RecordingUrl=f"{carrier.url}/r/RE1",
         RecordingSid="RE" + "1" * 32, RecordingDuration="12")  # fmt: skip
    run_jobs()

    messages = sim(carrier, "/_sim/messages")
    bodies = [m["body"] for m in (messages["messages"] if isinstance(messages, dict) else messages)]
    assert len(bodies) == 2
    assert "Pas de message. Rappeler : http" in bodies[0]
    assert "Message (12 s). Rappeler : http" in bodies[1]
    [record] = callbacks(client, admin)
    assert (record["outcome"], record["duration_seconds"]) == ("voicemail_left", 31)


def test_the_voicemail_page_plays_the_message_with_its_real_length(
    client, carrier, public_app, after_campaign, run_jobs, browser
):
    """On a phone, in Chromium: the text's link opens the page, whose player knows the
    message's length (not 0:00) and can play it; the button calls the customer back."""
    missed = {"from": PIERRE, "to": SHARED, "seller": "no-answer", "voicemail_seconds": 7}
    sim(carrier, "/_sim/inbound", missed)
    run_jobs()
    messages = sim(carrier, "/_sim/messages")
    [text] = messages["messages"] if isinstance(messages, dict) else messages
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(text["body"].split(": ")[-1])
    # The call-back page's one button (it rings Marie, then Pierre from the dealership).
    assert page.get_by_test_id("call-back").evaluate("button => button.type") == "submit"
    assert "Rappeler Pierre Durand" in page.get_by_test_id("call-back").inner_text()
    duration = page.evaluate("""() => new Promise((done, failed) => {
        const audio = document.querySelector("audio");
        if (audio.readyState >= 1) return done(audio.duration);
        audio.addEventListener("loadedmetadata", () => done(audio.duration));
        audio.addEventListener("error", () => failed(String(audio.error && audio.error.code)));
    })""")
    assert duration == pytest.approx(7, abs=0.5)
    assert "Durée : 0:07" in page.locator("main").inner_text()
    screenshot(page, "voicemail-page-phone")
    page.context.close()
