"""Calls through the real twilio-python client: callbacks, AMD, outcomes, played audio."""

from __future__ import annotations

import pytest
from twilio.rest import Client

from tests.simulator.fixtures import (
    ACCOUNT_SID,
    FROM,
    MESSAGE_SECONDS,
    Receiver,
    make_simulator,
    settled_call,
    twilio_client,
    wait_for,
)
from voicecast.simulator.engine import Timings
from voicecast.simulator.server import SimulatorServer

EVENTS = ["initiated", "ringing", "answered", "completed"]


def drop(client: Client, receiver: Receiver, to: str, **extra: object) -> str:
    """Place a voicemail drop the way our dialer does; returns the call sid."""
    call = client.calls.create(
        to=to,
        from_=FROM,
        url=f"{receiver.base_url}/twiml/amd",
        status_callback=f"{receiver.base_url}/status",
        status_callback_event=EVENTS,
        machine_detection="DetectMessageEnd",
        **extra,
    )
    return call.sid


def test_voicemail_drop_sends_signed_callbacks_in_order_and_plays_the_wav(
    simulator: SimulatorServer, receiver: Receiver, client: Client
) -> None:
    created = client.calls.create(
        to="+33612345670",
        from_=FROM,
        url=f"{receiver.base_url}/twiml/amd",
        status_callback=f"{receiver.base_url}/status",
        status_callback_event=EVENTS,
        machine_detection="DetectMessageEnd",
    )
    assert created.sid.startswith("CA") and len(created.sid) == 34
    assert created.status == "queued"
    assert created.account_sid == ACCOUNT_SID
    assert created.direction == "outbound-api"

    entry = settled_call(simulator, created.sid)
    callbacks = receiver.requests("/status", created.sid)
    assert [hit.params["SequenceNumber"] for hit in callbacks] == ["0", "1", "2", "3"]
    statuses = [hit.params["CallStatus"] for hit in callbacks]
    assert statuses == ["initiated", "ringing", "in-progress", "completed"]
    assert all(hit.signature_ok for hit in callbacks)
    for hit in callbacks:
        assert hit.params["AccountSid"] == ACCOUNT_SID
        assert hit.params["To"] == "+33612345670" and hit.params["From"] == FROM
        assert hit.params["Direction"] == "outbound-api"
        assert hit.params["ApiVersion"] == "2010-04-01"
        assert hit.params["CallbackSource"] == "call-progress-events"
        assert hit.params["Timestamp"].endswith("+0000")
    final = callbacks[-1].params
    assert final["SipResponseCode"] == "200"
    assert int(final["CallDuration"]) == pytest.approx(MESSAGE_SECONDS, abs=1)

    (amd,) = receiver.requests("/twiml", created.sid)
    assert amd.signature_ok
    assert amd.params["AnsweredBy"] == "machine_end_beep"
    assert amd.params["CallStatus"] == "in-progress"
    assert amd.at < callbacks[-1].at

    assert len(receiver.requests("/audio/message.wav")) == 1
    assert entry["status"] == "completed"
    assert entry["answered_by"] == "machine_end_beep"
    assert entry["outcome_rule"] == "last digit 0"
    assert entry["errors"] == []
    (played,) = entry["played"]
    assert played["url"] == f"{receiver.base_url}/audio/message.wav"
    assert played["bytes"] == len(receiver.files["/audio/message.wav"][1])
    assert played["duration_seconds"] == pytest.approx(MESSAGE_SECONDS)
    assert played["content_type"] == "audio/wav"
    assert (played["format"], played["codec"], played["sample_rate"]) == ("wav", "mulaw", 8000)
    (document,) = entry["twiml"]
    assert "<Play>" in document["body"] and document["http_status"] == 200
    assert [c["http_status"] for c in entry["callbacks"]] == [204] * 4
    for moment in ("queued_at", "started_at", "answered_at", "ended_at"):
        assert entry[moment]

    fetched = client.calls(created.sid).fetch()
    assert fetched.status == "completed"
    assert fetched.answered_by == "machine_end_beep"
    assert fetched.duration == final["CallDuration"]
    assert fetched.start_time is not None and fetched.end_time is not None
    assert fetched.price is not None and float(fetched.price) < 0


@pytest.mark.parametrize(
    ("to", "answered_by"),
    [
        ("+33612345675", "human"),
        ("+33612345679", "machine_end_silence"),
        ("+33612345673", "machine_end_beep"),
    ],
)
def test_amd_verdict_follows_the_last_digit(
    simulator: SimulatorServer, receiver: Receiver, client: Client, to: str, answered_by: str
) -> None:
    sid = drop(client, receiver, to)
    entry = settled_call(simulator, sid)
    (amd,) = receiver.requests("/twiml", sid)
    assert amd.params["AnsweredBy"] == answered_by
    assert entry["answered_by"] == answered_by
    assert entry["status"] == "completed"
    heard = [p["url"] for p in entry["played"]]
    assert heard == ([] if answered_by == "human" else [f"{receiver.base_url}/audio/message.wav"])


@pytest.mark.parametrize(
    ("to", "status", "sip", "statuses"),
    [
        ("+33612345676", "busy", "486", ["initiated", "ringing", "busy"]),
        ("+33612345677", "no-answer", "487", ["initiated", "ringing", "no-answer"]),
        ("+33612345678", "failed", "404", ["initiated", "failed"]),
    ],
)
def test_unanswered_outcomes(
    simulator: SimulatorServer,
    receiver: Receiver,
    client: Client,
    to: str,
    status: str,
    sip: str,
    statuses: list[str],
) -> None:
    sid = drop(client, receiver, to)
    entry = settled_call(simulator, sid)
    callbacks = receiver.requests("/status", sid)
    assert [hit.params["CallStatus"] for hit in callbacks] == statuses
    assert [hit.params["SequenceNumber"] for hit in callbacks] == [
        str(n) for n in range(len(statuses))
    ]
    assert callbacks[-1].params["SipResponseCode"] == sip
    assert callbacks[-1].params["CallDuration"] == "0"
    assert receiver.requests("/twiml", sid) == []
    assert entry["status"] == status and entry["answered_by"] is None
    assert client.calls(sid).fetch().status == status


def test_without_events_only_completed_is_sent(
    simulator: SimulatorServer, receiver: Receiver, client: Client
) -> None:
    call = client.calls.create(
        to="+33612345670",
        from_=FROM,
        url=f"{receiver.base_url}/twiml/plain",
        status_callback=f"{receiver.base_url}/status",
    )
    settled_call(simulator, call.sid)
    (only,) = receiver.requests("/status", call.sid)
    assert only.params["CallStatus"] == "completed" and only.params["SequenceNumber"] == "0"
    (document,) = receiver.requests("/twiml", call.sid)
    assert "AnsweredBy" not in document.params  # no machine detection was asked for


def test_a_play_that_is_not_audio_is_an_error(
    simulator: SimulatorServer, receiver: Receiver, client: Client
) -> None:
    bad = f"{receiver.base_url}/audio/page.wav"
    receiver.answer = lambda params: f"<Response><Play>{bad}</Play><Say>Bye</Say></Response>"
    sid = drop(client, receiver, "+33612345671")
    entry = settled_call(simulator, sid)
    assert entry["played"] == []
    (error,) = entry["errors"]
    assert error["code"] == 12300 and "not a real audio file" in error["message"]
    assert error["url"] == bad and error["content_type"] == "audio/wav"
    assert entry["said"][0]["text"] == "Bye"
    assert entry["status"] == "completed"


def test_a_failing_twiml_url_is_error_11200(
    simulator: SimulatorServer, receiver: Receiver, client: Client
) -> None:
    call = client.calls.create(
        to="+33612345671",
        from_=FROM,
        url=f"{receiver.base_url}/missing",  # GET-only 404 route: POST answers 204, no TwiML
        method="GET",
        machine_detection="DetectMessageEnd",
    )
    entry = settled_call(simulator, call.sid)
    assert [e["code"] for e in entry["errors"]] == [11200]
    assert entry["twiml"][0]["http_status"] == 404
    assert entry["status"] == "completed"


def test_twiml_verbs_not_acted_on_are_recorded(
    simulator: SimulatorServer, receiver: Receiver, client: Client
) -> None:
    receiver.answer = lambda params: (
        "<Response><Pause length='2'/><Enqueue waitUrl='/wait'>support</Enqueue>"
        "<Hangup/><Say>never</Say></Response>"
    )
    sid = drop(client, receiver, "+33612345675")
    entry = settled_call(simulator, sid)
    (ignored,) = entry["ignored"]  # (a Dial is acted on since calls back ring the customer)
    assert ignored["verb"] == "Enqueue" and ignored["attrs"] == {"waitUrl": "/wait"}
    assert entry["said"] == []  # nothing after <Hangup/>
    assert entry["duration"] == 2  # the pause


def test_inline_twiml_and_a_redirect_of_the_live_call(
    simulator: SimulatorServer, receiver: Receiver, client: Client
) -> None:
    call = client.calls.create(
        to="+33612345675",
        from_=FROM,
        twiml="<Response><Pause length='600'/></Response>",
        status_callback=f"{receiver.base_url}/status",
        status_callback_event=EVENTS,
    )
    wait_for(lambda: client.calls(call.sid).fetch().status == "in-progress", what="answer")
    updated = client.calls(call.sid).update(
        twiml=f"<Response><Play>{receiver.base_url}/audio/message.wav</Play></Response>"
    )
    assert updated.sid == call.sid
    entry = settled_call(simulator, call.sid)
    assert [d["body"][:29] for d in entry["twiml"]] == [
        "<Response><Pause length='600'",
        "<Response><Play>http://127.0.",
    ]
    assert len(entry["played"]) == 1
    assert entry["status"] == "completed"


def test_hanging_up_a_call_in_progress(
    simulator: SimulatorServer, receiver: Receiver, client: Client
) -> None:
    call = client.calls.create(
        to="+33612345675",
        from_=FROM,
        twiml="<Response><Pause length='600'/></Response>",
        status_callback=f"{receiver.base_url}/status",
    )
    wait_for(lambda: client.calls(call.sid).fetch().status == "in-progress", what="answer")
    assert client.calls(call.sid).update(status="completed").status == "completed"
    entry = settled_call(simulator, call.sid)
    (done,) = receiver.requests("/status", call.sid)
    assert done.params["CallStatus"] == "completed"
    assert int(done.params["CallDuration"]) < 600  # what was heard, not the whole pause
    assert entry["duration"] == int(done.params["CallDuration"])


def test_async_amd_posts_the_verdict_separately(
    simulator: SimulatorServer, receiver: Receiver, client: Client
) -> None:
    receiver.answer = lambda params: "<Response><Pause length='10'/></Response>"
    call = client.calls.create(
        to="+33612345672",
        from_=FROM,
        url=f"{receiver.base_url}/twiml/answer",
        machine_detection="DetectMessageEnd",
        async_amd="true",
        async_amd_status_callback=f"{receiver.base_url}/amd-status",
    )
    entry = settled_call(simulator, call.sid)
    (document,) = receiver.requests("/twiml", call.sid)
    assert "AnsweredBy" not in document.params  # fetched at answer, before any verdict
    (verdict,) = wait_for(lambda: receiver.requests("/amd-status", call.sid), what="verdict")
    assert verdict.signature_ok and verdict.params["AnsweredBy"] == "machine_end_beep"
    assert entry["warnings"] == []


def test_async_amd_sent_as_python_true_is_flagged(
    simulator: SimulatorServer, receiver: Receiver, client: Client
) -> None:
    call = client.calls.create(
        to="+33612345672",
        from_=FROM,
        url=f"{receiver.base_url}/twiml/amd",
        machine_detection="DetectMessageEnd",
        async_amd=True,  # twilio-python sends "True", which is not Twilio's "true"
    )
    entry = settled_call(simulator, call.sid)
    assert any("AsyncAmd='True'" in warning for warning in entry["warnings"])
    (document,) = receiver.requests("/twiml", call.sid)  # treated as synchronous AMD
    assert document.params["AnsweredBy"] == "machine_end_beep"


def test_canceling_a_ringing_call_reports_canceled(receiver: Receiver) -> None:
    slow_ring = Timings(initiate=0.01, ring=30, human_detection=0.01, greeting=0.01)
    with make_simulator(timings=slow_ring) as simulator:
        client = twilio_client(simulator.url)
        try:
            call = client.calls.create(
                to="+33612345675",
                from_=FROM,
                twiml="<Response/>",
                status_callback=f"{receiver.base_url}/status",
            )
            wait_for(lambda: client.calls(call.sid).fetch().status == "ringing", what="ring")
            assert client.calls(call.sid).update(status="canceled").status == "canceled"
            entry = settled_call(simulator, call.sid)
        finally:
            client.http_client.session.close()  # type: ignore[attr-defined]
    (done,) = receiver.requests("/status", call.sid)
    assert done.params["CallStatus"] == "canceled" and done.params["CallDuration"] == "0"
    assert entry["answered_at"] is None and entry["twiml"] == []


def test_a_slow_twiml_answer_is_error_11200(receiver: Receiver) -> None:
    receiver.twiml_delay = 0.5
    with make_simulator(webhook_timeout=0.2) as simulator:
        client = twilio_client(simulator.url)
        try:
            sid = drop(client, receiver, "+33612345671")
            entry = settled_call(simulator, sid)
        finally:
            client.http_client.session.close()  # type: ignore[attr-defined]
        wait_for(lambda: receiver.answered == 1, what="the slow answer to end")
    (error,) = entry["errors"]
    assert error["code"] == 11200 and "timed out" in error["message"]
    assert entry["played"] == [] and entry["status"] == "completed"


@pytest.mark.parametrize(
    ("cache_control", "downloads"),
    [("public, max-age=3600", 1), ("no-cache", 2), (None, 2)],
)
def test_media_is_kept_as_long_as_its_cache_control_allows(
    simulator: SimulatorServer,
    receiver: Receiver,
    client: Client,
    cache_control: str | None,
    downloads: int,
) -> None:
    if cache_control:
        receiver.cache_control["/audio/message.wav"] = cache_control
    numbers = ("+33612345670", "+33612345671")
    entries = [settled_call(simulator, drop(client, receiver, to)) for to in numbers]
    assert len(receiver.requests("/audio/message.wav")) == downloads
    assert [entry["played"][0]["cached"] for entry in entries] == [False, downloads == 1]
    assert all(entry["played"][0]["bytes"] > 0 and not entry["errors"] for entry in entries)
