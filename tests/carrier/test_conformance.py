"""Every request our Carrier sends is one Twilio accepts, checked against Twilio's own API
definition, and the answers it reads are parsed as Twilio shapes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from openapi_core import OpenAPI

from tests.carrier.conftest import ACCOUNT_SID, AUTH_TOKEN, random_number
from tests.carrier.twilio_peer import TwilioPeer
from tests.twilio_conformance import (
    ConformanceLog,
    NonConformingRequest,
    request_violations,
    response_violations,
)
from voicecast.carrier import Carrier, CarrierError

SELLER = "+33170000001"
AMD_URL = "https://voicecast.example/telephony/amd/42"
STATUS_URL = "https://voicecast.example/telephony/status/42"


def place(carrier: Carrier, to: str, **extra) -> object:
    return carrier.place_call(to=to, from_=SELLER, url=AMD_URL, status_callback=STATUS_URL, **extra)


def test_place_call_sends_a_conforming_request_with_four_events_and_detect_message_end(
    conforming_carrier: tuple[Carrier, ConformanceLog], peer: TwilioPeer
) -> None:
    carrier, log = conforming_carrier
    to = random_number()

    call = place(carrier, to)

    assert call.sid in peer.calls and call.status == "queued" and call.to == to
    [form] = log.forms("POST")
    assert form["To"] == [to] and form["From"] == [SELLER]
    assert form["Url"] == [AMD_URL] and form["StatusCallback"] == [STATUS_URL]
    assert form["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert form["StatusCallbackMethod"] == ["POST"]
    assert form["MachineDetection"] == ["DetectMessageEnd"]
    assert form["Timeout"] == ["30"]
    assert peer.received[0].path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"


def test_async_amd_goes_out_as_lowercase_true(
    conforming_carrier: tuple[Carrier, ConformanceLog],
) -> None:
    carrier, log = conforming_carrier
    place(carrier, random_number(), async_amd=True, async_amd_status_callback=STATUS_URL)
    assert log.forms("POST")[0]["AsyncAmd"] == ["true"]


def test_the_checks_catch_what_the_definition_leaves_free(
    conforming_carrier: tuple[Carrier, ConformanceLog], peer: TwilioPeer
) -> None:
    """twilio-python used bare would send AsyncAmd=True and any MachineDetection: refused."""
    carrier, log = conforming_carrier
    with pytest.raises(NonConformingRequest) as refused:
        carrier.client.calls.create(
            to="0612345678",
            from_=SELLER,
            url=AMD_URL,
            machine_detection="Enable",
            async_amd=True,
            status_callback_event=["completed"],
        )
    text = str(refused.value)
    for expected in ("AsyncAmd", "MachineDetection", "To='0612345678' is not E.164"):
        assert expected in text
    assert "StatusCallbackEvent=['completed']" in text
    assert peer.received == [], "a non-conforming request must not leave"
    log.violations.clear()


def test_the_definition_itself_is_enforced(twilio_spec: OpenAPI) -> None:
    base = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Calls"
    bad = [
        ("POST", f"{base}.json", {"From": SELLER, "Url": AMD_URL}, "'To' is a required"),
        ("POST", f"{base}.json", {"To": "+14155550100", "From": SELLER, "Url": "amd"}, "uri"),
        ("POST", f"{base}/CA{'0' * 32}.json", {"Status": "stopped"}, "stopped"),
        ("POST", f"{base}/XY{'0' * 32}.json", {"Status": "canceled"}, "Sid"),
    ]
    for method, url, data, expected in bad:
        prepared = requests.Request(method, url, data=data, auth=("a", "b")).prepare()
        problems = request_violations(twilio_spec, prepared)
        assert any(expected in problem for problem in problems), (url, data, problems)


def test_a_parameter_twilio_does_not_name_is_refused(twilio_spec: OpenAPI) -> None:
    """Twilio ignores a parameter it does not know, and its definition lets any through: a
    misspelt AsyncAmd callback, call update or Messaging Service would silently lose what it
    was for. The check names each; the same requests rightly spelt pass."""
    account = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}"
    call = {"To": "+14155550100", "From": SELLER, "Url": AMD_URL, "StatusCallback": STATUS_URL,
            "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
            "MachineDetection": "DetectMessageEnd", "AsyncAmd": "true"}  # fmt: skip
    twiml = "<Response><Hangup/></Response>"
    sms = {"To": "+14155550100", "Body": "Rappel", "MessagingServiceSid": "MG" + "0" * 32}
    calls, one_call = f"{account}/Calls.json", f"{account}/Calls/CA{'0' * 32}.json"
    cases = [  # method, url, the other fields, the right name, a wrong one, the value
        ("POST", calls, call, "AsyncAmdStatusCallback", "AsyncAmdCallback", AMD_URL),
        ("POST", calls, call, "MachineDetectionTimeout", "AmdTimeout", "30"),
        ("POST", one_call, {}, "Twiml", "TwiML", twiml),
        ("POST", one_call, {}, "Url", "URL", AMD_URL),
        ("POST", f"{account}/Messages.json", sms, "StatusCallback", "Callback", STATUS_URL),
        ("GET", calls, {}, "StartTime>", "StartedAfter", "2026-12-06T10:00:00Z"),
    ]
    for method, url, base, right, wrong, value in cases:
        verdicts = {}
        for name in (right, wrong):
            fields = {**base, name: value}
            kind = "params" if method == "GET" else "data"
            prepared = requests.Request(method, url, auth=("a", "b"), **{kind: fields}).prepare()
            verdicts[name] = [p for p in request_violations(twilio_spec, prepared) if name in p]
        assert verdicts[right] == [], (url, right, verdicts[right])
        assert any("is no parameter" in p for p in verdicts[wrong]), (url, wrong, verdicts)


def test_find_calls_sends_to_and_start_time_filters_and_reads_every_page(
    conforming_carrier: tuple[Carrier, ConformanceLog], peer: TwilioPeer
) -> None:
    carrier, log = conforming_carrier
    peer.max_page_size = 2
    to = random_number()
    attempt_began = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    before = attempt_began - timedelta(hours=4)
    old = peer.add_call(
        to, from_=SELLER, status="completed", date_created=before, start_time=before
    )
    started = [
        peer.add_call(to, from_=SELLER, status="in-progress", start_time=attempt_began)
        for _ in range(3)
    ]
    queued = peer.add_call(to, from_=SELLER)  # no start time yet: only the queued query sees it
    peer.add_call(random_number(), from_=SELLER, status="ringing", start_time=attempt_began)

    found = carrier.find_calls(to, attempt_began)

    assert {call.sid for call in found} == {call.sid for call in [*started, queued]}
    assert old.sid not in {call.sid for call in found}
    assert all(call.to == to and call.from_ == SELLER for call in found)
    queries = log.queries("GET")
    assert len(queries) == 3, "two pages of started calls, one of queued calls"
    assert all(query["To"] == [to] for query in queries)
    assert queries[0]["StartTime>"] == [attempt_began.strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert queries[1]["Page"] == ["1"] and queries[1]["StartTime>"] == queries[0]["StartTime>"]
    assert queries[2]["Status"] == ["queued"]


def test_find_calls_takes_local_time_as_the_same_instant_in_utc(
    conforming_carrier: tuple[Carrier, ConformanceLog],
) -> None:
    carrier, log = conforming_carrier
    paris = datetime(2026, 3, 1, 10, 0, 5, 123456, tzinfo=UTC).astimezone(ZoneInfo("Europe/Paris"))
    carrier.find_calls(random_number(), paris)
    assert log.queries("GET")[0]["StartTime>"] == ["2026-03-01T10:00:05Z"]


def test_fetch_cancel_and_hang_up_send_conforming_requests(
    conforming_carrier: tuple[Carrier, ConformanceLog], peer: TwilioPeer
) -> None:
    carrier, log = conforming_carrier
    ringing = peer.add_call(random_number(), from_=SELLER, status="ringing")
    talking = peer.add_call(random_number(), from_=SELLER, status="in-progress")

    assert carrier.fetch_call(ringing.sid).status == "ringing"
    assert carrier.cancel_call(ringing.sid).status == "canceled"
    hung_up = carrier.hang_up(talking.sid)

    assert hung_up.status == "completed" and hung_up.end_time is not None
    assert log.forms("POST") == [{"Status": ["canceled"]}, {"Status": ["completed"]}]
    updates = [received.path for received in peer.received if received.method == "POST"]
    assert updates == [
        f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{ringing.sid}.json",
        f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{talking.sid}.json",
    ]


def test_the_peer_answers_in_twilios_shapes(twilio_spec: OpenAPI, peer: TwilioPeer) -> None:
    """Keeps the test peer honest: its answers validate against Twilio's definition."""
    peer.add_call("+14155550100", from_=SELLER, status="completed", start_time=datetime.now(UTC))
    base = f"{peer.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls"
    exchanges = [
        requests.Request(
            "POST", f"{base}.json", data={"To": "+14155550101", "From": SELLER, "Url": AMD_URL}
        ),
        requests.Request("GET", f"{base}.json", params={"To": "+14155550100"}),
        requests.Request("GET", f"{base}/{next(iter(peer.calls))}.json"),
        requests.Request(
            "POST", f"{base}/{next(iter(peer.calls))}.json", data={"Status": "completed"}
        ),
    ]
    with requests.Session() as session:
        for request in exchanges:
            request.auth = (ACCOUNT_SID, AUTH_TOKEN)
            prepared = session.prepare_request(request)
            response = session.send(prepared, timeout=5)
            assert response.status_code in (200, 201)
            assert response_violations(twilio_spec, prepared, response) == []


def test_errors_leave_no_violation_behind(
    conforming_carrier: tuple[Carrier, ConformanceLog],
) -> None:
    """Error paths send conforming requests too (the rejected number is well-formed)."""
    carrier, log = conforming_carrier
    with pytest.raises(CarrierError):
        place(carrier, "+15005550001")
    assert log.violations == [] and len(log.sent) == 1


def test_a_drop_dialed_with_async_amd_conforms(
    app, conforming_carrier: tuple[Carrier, ConformanceLog]
) -> None:
    """The options every drop is dialed with (`delivery.amd.dial_options`) pass the check."""
    from voicecast.delivery import amd

    carrier, log = conforming_carrier
    with app.app_context():
        options = amd.dial_options(42, SELLER)
    place(carrier, random_number(), **options)
    [form] = log.forms("POST")
    assert form["AsyncAmd"] == ["true"] and form["MachineDetection"] == ["DetectMessageEnd"]
    verdicts_to = form["AsyncAmdStatusCallback"][0]
    assert verdicts_to.endswith("/twilio/attempts/42/amd?caller=%2B33170000001")
    assert form["AsyncAmdStatusCallbackMethod"] == ["POST"]
    assert form["MachineDetectionTimeout"] == ["30"]


def test_redirecting_a_live_call_sends_conforming_updates(
    app, conforming_carrier: tuple[Carrier, ConformanceLog], peer: TwilioPeer
) -> None:
    """The documents a verdict redirects a call to (the message after the beep, the seller
    rung for a person) go out as conforming call updates; a broken one never leaves."""
    from voicecast.delivery.calls import play_then_hang_up
    from voicecast.delivery.connect import connect_twiml

    carrier, log = conforming_carrier
    talking = peer.add_call(random_number(), from_=SELLER, status="in-progress")
    with app.app_context():
        documents = [
            play_then_hang_up("https://voicecast.example/media/1.wav?t=x&u=y"),
            connect_twiml(42, "+33611000001", SELLER),
        ]
    for document in documents:
        carrier.redirect_call(talking.sid, document)
    assert [form["Twiml"] for form in log.forms("POST")] == [[doc] for doc in documents]
    with pytest.raises(NonConformingRequest):
        carrier.redirect_call(talking.sid, "<Play>no response</Play><Hangup/>")
    log.violations.clear()
