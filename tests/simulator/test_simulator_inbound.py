"""Inbound calls (`POST /_sim/inbound`) through a stand-in app: Gather, Dial with a whisper,
Record and its recording, the number's status callback."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
import wave
from collections.abc import Iterator

import pytest
from twilio.rest import Client

from tests.simulator.fixtures import ACCOUNT_SID, AUTH_TOKEN, Receiver, get_json
from voicecast.simulator import audio
from voicecast.simulator.server import SimulatorServer

LINE = "+33170000001"  # the number callers dial
CALLER = "+33611223344"
SELLER = "+33698765432"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post_json(url: str, body: object) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error)


def fetch(url: str, auth: tuple[str, str] | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url)
    if auth:
        import base64

        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with OPENER.open(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("Content-Type", ""), error.read()


def callback_app(receiver: Receiver) -> None:
    """A generic "call me back" line: press 9 to be called back, else reach the seller, whose
    whisper asks for 1; a voicemail is recorded when the seller is not connected."""
    receiver.routes = {
        "/twiml/voice": lambda p: (
            '<Response><Gather numDigits="1" action="/twiml/menu" timeout="3">'
            '<Say language="fr-FR" voice="alice">Tapez 9 pour être rappelé.</Say></Gather>'
            f'<Dial callerId="{LINE}" timeout="20" action="/twiml/dial-done" answerOnBridge="true">'
            f'<Number url="/twiml/whisper">{SELLER}</Number></Dial></Response>'
        ),
        "/twiml/menu": lambda p: (
            "<Response><Say>We will call you back.</Say><Hangup/></Response>"
            if p.get("Digits") == "9"
            else "<Response><Redirect>/twiml/voice</Redirect></Response>"
        ),
        "/twiml/whisper": lambda p: (
            '<Response><Gather numDigits="1" action="/twiml/choice" timeout="4">'
            "<Say>A customer is calling. Press 1 to take the call.</Say></Gather>"
            "<Hangup/></Response>"
        ),
        "/twiml/choice": lambda p: (
            "<Response><Say>Connecting.</Say></Response>"
            if p.get("Digits") == "1"
            else "<Response><Hangup/></Response>"
        ),
        "/twiml/dial-done": lambda p: (
            "<Response><Hangup/></Response>"
            if p.get("DialCallStatus") == "completed"
            else "<Response><Say>Leave a message after the beep.</Say>"
            '<Record maxLength="30" action="/twiml/recorded" playBeep="true" '
            'recordingStatusCallback="/recording-status"/></Response>'
        ),
        "/twiml/recorded": lambda p: "<Response><Say>Thank you.</Say><Hangup/></Response>",
    }


@pytest.fixture
def line(simulator: SimulatorServer, receiver: Receiver, client: Client) -> Iterator[str]:
    """The line's number, bought with twilio-python and pointed at the stand-in app."""
    callback_app(receiver)
    number = client.incoming_phone_numbers.create(
        phone_number=LINE,
        voice_url=f"{receiver.base_url}/twiml/voice",
        status_callback=f"{receiver.base_url}/status",
    )
    assert number.sid.startswith("PN")
    yield number.sid


def call_in(simulator: SimulatorServer, **fields: object) -> dict:
    status, body = post_json(
        f"{simulator.url}/_sim/inbound", {"from": CALLER, "to": LINE, **fields}
    )
    assert status == 200, body
    return body


def test_caller_presses_9_at_the_gather(
    simulator: SimulatorServer, receiver: Receiver, line: str
) -> None:
    call = call_in(simulator, caller_presses="9")

    assert call["sid"].startswith("CA") and call["direction"] == "inbound"
    assert (call["from"], call["to"], call["status"]) == (CALLER, LINE, "completed")
    assert call["digits"] == ["9"] and call["dials"] == [] and call["recordings"] == []
    voice, menu, done = call["requests"]
    assert voice["url"].endswith("/twiml/voice") and voice["params"]["CallStatus"] == "ringing"
    for name, value in [("Direction", "inbound"), ("From", CALLER), ("To", LINE),
                        ("Caller", CALLER), ("Called", LINE), ("FromCountry", "FR"),
                        ("ToCountry", "FR"), ("AccountSid", ACCOUNT_SID),
                        ("ApiVersion", "2010-04-01")]:  # fmt: skip
        assert voice["params"][name] == value, name
    assert "<Gather" in voice["body"] and voice["http_status"] == 200
    assert menu["params"]["Digits"] == "9" and menu["params"]["CallStatus"] == "in-progress"
    assert menu["url"] == f"{receiver.base_url}/twiml/menu"
    assert done["kind"] == "completed" and done["params"]["CallStatus"] == "completed"
    said = [(s["text"], s["language"], s["voice"]) for s in call["said"]]
    assert said == [("Tapez 9 pour être rappelé.", "fr-FR", "alice"),
                    ("We will call you back.", None, None)]  # fmt: skip

    hits = receiver.requests("", call["sid"])
    assert [hit.path for hit in hits] == ["/twiml/voice", "/twiml/menu", "/status"]
    assert all(hit.signature_ok for hit in hits)
    status = hits[-1].params
    assert status["CallStatus"] == "completed" and status["Direction"] == "inbound"
    assert int(status["CallDuration"]) == call["duration"] >= 1
    entry = get_json(f"{simulator.url}/_sim/calls/{call['sid']}")
    assert entry["direction"] == "inbound" and entry["settled"]  # type: ignore[index]


def test_silent_caller_reaches_the_seller_who_presses_1(
    simulator: SimulatorServer, receiver: Receiver, client: Client, line: str
) -> None:
    call = call_in(simulator, talk_seconds=30)

    assert call["digits"] == []  # the Gather timed out, the Dial came next
    (dial,) = call["dials"]
    assert dial["bridged"] is True and dial["status"] == "completed"
    assert dial["dial_call_status"] == "completed"
    assert (dial["to"], dial["caller_id"]) == (SELLER, LINE)
    assert dial["whisper"]["digits"] == "1"
    assert [s["text"] for s in dial["whisper"]["said"]] == [
        "A customer is calling. Press 1 to take the call.",
        "Connecting.",
    ]
    assert dial["duration"] >= 30 and call["duration"] >= 30

    (whisper,) = receiver.requests("/twiml/whisper", dial["sid"])
    assert whisper.signature_ok
    assert whisper.params["ParentCallSid"] == call["sid"]
    assert whisper.params["Direction"] == "outbound-dial"
    assert whisper.params["CallStatus"] == "in-progress"
    assert (whisper.params["From"], whisper.params["To"]) == (LINE, SELLER)
    (choice,) = receiver.requests("/twiml/choice", dial["sid"])
    assert choice.params["Digits"] == "1"
    (done,) = receiver.requests("/twiml/dial-done", call["sid"])
    assert done.params["DialCallStatus"] == "completed"
    assert done.params["DialCallSid"] == dial["sid"]
    assert done.params["DialBridged"] == "true"
    assert done.params["DialCallDuration"] == str(dial["duration"])

    leg = client.calls(dial["sid"]).fetch()
    assert leg.parent_call_sid == call["sid"] and leg.direction == "outbound-dial"
    assert client.calls(call["sid"]).fetch().direction == "inbound"
    assert [c.sid for c in client.calls.list(parent_call_sid=call["sid"])] == [dial["sid"]]


@pytest.mark.parametrize(
    ("seller", "dial_call_status", "leg_status", "whisper_heard"),
    [
        ("voicemail", "no-answer", "completed", True),  # the whisper hung up: not bridged
        ("no-answer", "no-answer", "no-answer", False),
        ("busy", "busy", "busy", False),
    ],
)
def test_seller_not_connected_leaves_a_voicemail(
    simulator: SimulatorServer,
    receiver: Receiver,
    line: str,
    seller: str,
    dial_call_status: str,
    leg_status: str,
    whisper_heard: bool,
) -> None:
    call = call_in(simulator, seller=seller, voicemail_seconds=7)

    (dial,) = call["dials"]
    assert (dial["dial_call_status"], dial["status"]) == (dial_call_status, leg_status)
    assert dial["bridged"] is False
    assert bool(dial["whisper"] and dial["whisper"]["said"]) is whisper_heard
    if whisper_heard:
        assert dial["whisper"]["digits"] == ""
    (done,) = receiver.requests("/twiml/dial-done", call["sid"])
    assert done.params["DialCallStatus"] == dial_call_status
    assert done.params["DialBridged"] == "false"

    (recording,) = call["recordings"]
    assert recording["sid"].startswith("RE") and recording["duration"] == 7
    url = f"{simulator.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording['sid']}"
    assert recording["url"] == url
    (recorded,) = receiver.requests("/twiml/recorded", call["sid"])
    assert recorded.params["RecordingUrl"] == url
    assert recorded.params["RecordingSid"] == recording["sid"]
    assert recorded.params["RecordingDuration"] == "7"
    assert recorded.params["Digits"] == "#"  # the caller ends with a finishOnKey key
    (status,) = receiver.requests("/recording-status", call["sid"])
    assert status.signature_ok and status.at > recorded.at
    assert status.params["RecordingStatus"] == "completed"
    assert status.params["RecordingSource"] == "RecordVerb"
    assert status.params["RecordingChannels"] == "1"
    assert status.params["RecordingUrl"] == url and status.params["RecordingDuration"] == "7"
    assert call["said"][-1]["text"] == "Thank you."


def test_recording_audio_needs_the_account_credentials(
    simulator: SimulatorServer, receiver: Receiver, line: str
) -> None:
    call = call_in(simulator, seller="busy", voicemail_seconds=3)
    (recording,) = call["recordings"]
    url = recording["url"]
    credentials = (ACCOUNT_SID, AUTH_TOKEN)

    assert fetch(url)[0] == 401
    assert fetch(url, (ACCOUNT_SID, "wrong"))[0] == 401
    status, ctype, body = fetch(url, credentials)
    assert status == 200 and ctype == "audio/x-wav"
    with wave.open(io.BytesIO(body)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert wav.getnframes() == 3 * 8000
    assert fetch(url + ".wav", credentials)[2] == body
    status, ctype, mp3 = fetch(url + ".mp3", credentials)
    info = audio.inspect(mp3)
    assert ctype == "audio/mpeg" and (info.format, info.sample_rate, info.channels) == (
        "mp3",
        8000,
        1,
    )
    assert info.duration_seconds == pytest.approx(3, abs=0.1)
    status, _, resource = fetch(url + ".json", credentials)
    described = json.loads(resource)
    assert status == 200 and described["sid"] == recording["sid"]
    assert (described["call_sid"], described["duration"]) == (call["sid"], "3")
    assert described["source"] == "RecordVerb" and described["status"] == "completed"
    assert fetch(url.replace(recording["sid"], "RE" + "0" * 32), credentials)[0] == 404


def test_caller_hanging_up_while_the_seller_rings(
    simulator: SimulatorServer, receiver: Receiver, line: str
) -> None:
    call = call_in(simulator, caller_hangs_up="while_ringing")

    (dial,) = call["dials"]
    assert dial["dial_call_status"] == "canceled" and dial["status"] == "canceled"
    (done,) = receiver.requests("/twiml/dial-done", call["sid"])
    assert done.params["DialCallStatus"] == "canceled"
    assert done.params["CallStatus"] == "completed"  # the caller is gone
    assert call["recordings"] == [] and receiver.requests("/twiml/recorded") == []
    assert not any("<Record" in document["body"] for document in call["twiml"])  # not followed
    assert call["status"] == "completed"
    assert receiver.requests("/twiml/whisper") == []


def test_caller_hanging_up_at_the_beep_leaves_no_recording(
    simulator: SimulatorServer, receiver: Receiver, line: str
) -> None:
    call = call_in(simulator, seller="no-answer", caller_hangs_up="at_record")

    assert call["recordings"] == []
    assert receiver.requests("/twiml/recorded") == []
    assert receiver.requests("/recording-status") == []  # only `completed` was asked for
    assert any("absent" in note for note in call["notes"])
    assert call["status"] == "completed"


def test_caller_hanging_up_after_speaking(
    simulator: SimulatorServer, receiver: Receiver, line: str
) -> None:
    call = call_in(simulator, seller="busy", caller_hangs_up="after_record", voicemail_seconds=4)

    (recorded,) = receiver.requests("/twiml/recorded", call["sid"])
    assert recorded.params["Digits"] == "hangup"
    assert recorded.params["CallStatus"] == "completed"
    assert call["said"][-1]["text"] != "Thank you."  # its TwiML is not followed
    assert len(receiver.requests("/recording-status", call["sid"])) == 1


def test_inbound_request_errors(simulator: SimulatorServer, client: Client) -> None:
    url = f"{simulator.url}/_sim/inbound"
    status, body = post_json(url, {"from": CALLER, "to": "+33100000009"})
    assert status == 404 and "not one of the account's numbers" in body["error"]
    assert post_json(url, {"from": "0611223344", "to": LINE})[0] == 400
    status, body = post_json(url, {"from": CALLER, "to": LINE, "seller": "maybe"})
    assert status == 400 and "seller" in body["error"]
    assert post_json(url, {"from": CALLER, "to": LINE, "talk": 3})[0] == 400
    client.incoming_phone_numbers.create(phone_number=LINE)
    status, body = post_json(url, {"from": CALLER, "to": LINE})
    assert status == 409 and "VoiceUrl" in body["error"]


@pytest.mark.parametrize(("reason", "status"), [("busy", "busy"), ("rejected", "no-answer")])
def test_reject_as_first_verb_does_not_answer(
    simulator: SimulatorServer, receiver: Receiver, line: str, reason: str, status: str
) -> None:
    receiver.routes["/twiml/voice"] = lambda p: f'<Response><Reject reason="{reason}"/></Response>'
    call = call_in(simulator)
    assert (call["status"], call["duration"]) == (status, 0)
    assert call["answered_at"] is None


def test_failing_voice_url_and_unsupported_verbs(
    simulator: SimulatorServer, receiver: Receiver, line: str
) -> None:
    receiver.routes["/twiml/voice"] = lambda p: (
        "<Response><Enqueue>support</Enqueue><Redirect method='GET'>/nowhere</Redirect></Response>"
    )
    call = call_in(simulator)
    assert [ignored["verb"] for ignored in call["ignored"]] == ["Enqueue"]
    (error,) = call["errors"]
    assert error["code"] == 11200 and error["url"].endswith("/nowhere")
    assert call["status"] == "completed"

    receiver.routes["/twiml/voice"] = lambda p: "<Response><Say>unclosed</Response>"
    assert [e["code"] for e in call_in(simulator)["errors"]] == [12100]


def test_hanging_up_an_inbound_call_through_the_api(
    simulator: SimulatorServer, receiver: Receiver, client: Client, line: str
) -> None:
    import threading

    from tests.simulator.fixtures import wait_for

    answers: list[dict] = []
    caller = threading.Thread(target=lambda: answers.append(call_in(simulator, talk_seconds=3000)))
    caller.start()
    parent = wait_for(
        lambda: [c for c in client.calls.list(status="in-progress") if c.direction == "inbound"],
        what="the inbound call",
    )[0]  # type: ignore[index]
    wait_for(lambda: client.calls.list(parent_call_sid=parent.sid, status="in-progress"),
             what="the bridge")  # fmt: skip
    assert client.calls(parent.sid).update(status="completed").status == "completed"
    caller.join(timeout=10)
    (call,) = answers
    assert call["status"] == "completed" and call["duration"] < 3000
    (leg,) = client.calls.list(parent_call_sid=parent.sid)
    assert leg.status == "completed"
