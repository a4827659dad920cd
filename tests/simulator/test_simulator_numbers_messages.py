"""IncomingPhoneNumbers and Messages through twilio-python, and the conformance of what
twilio-python sends for them (and what the simulator answers) to Twilio's API definition."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from tests.simulator.fixtures import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    Receiver,
    get_json,
    make_simulator,
    twilio_client,
    wait_for,
)
from tests.twilio_conformance import (
    load_twilio_spec,
    request_violations,
    response_violations,
    twilio_definition,
)
from voicecast.simulator.server import SimulatorServer

LINE = "+33170000001"  # a French geographic number: it takes calls, it cannot send SMS
SMS_LINE = "+14155550100"  # a US number: Twilio lists it SMS-capable


class Checked(HTTPAdapter):
    """Checks each request twilio-python sends, and each answer, against Twilio's definition."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)
        self.spec = load_twilio_spec()
        self.exchanges: list[str] = []
        self.violations: list[str] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any):  # type: ignore[override]
        self.violations += request_violations(self.spec, request)
        response = super().send(request, *args, **kwargs)
        self.violations += response_violations(self.spec, request, response)
        self.exchanges.append(f"{request.method} {request.path_url} -> {response.status_code}")
        return response


@pytest.fixture
def checked(client: Client) -> Iterator[Checked]:
    adapter = Checked()
    client.http_client.session.mount("http://", adapter)  # type: ignore[union-attr]
    yield adapter
    assert adapter.violations == [], "\n".join(adapter.violations)


def test_numbers_bought_listed_configured_and_released(client: Client, checked: Checked) -> None:
    bought = client.incoming_phone_numbers.create(
        phone_number=LINE,
        friendly_name="Main line",
        voice_url="https://app.example/voice",
        voice_method="POST",
        status_callback="https://app.example/status",
        sms_url="https://app.example/sms",
    )
    assert bought.sid.startswith("PN") and len(bought.sid) == 34
    assert (bought.phone_number, bought.friendly_name) == (LINE, "Main line")
    assert bought.voice_url == "https://app.example/voice" and bought.voice_method == "POST"
    assert bought.status_callback == "https://app.example/status"
    assert bought.uri.endswith(f"/IncomingPhoneNumbers/{bought.sid}.json")
    others = [client.incoming_phone_numbers.create(phone_number=f"+3317000001{n}") for n in "234"]

    assert [n.sid for n in client.incoming_phone_numbers.list(phone_number=LINE)] == [bought.sid]
    everything = client.incoming_phone_numbers.list(page_size=2)
    assert [n.sid for n in everything] == [bought.sid, *(n.sid for n in others)]

    updated = client.incoming_phone_numbers(bought.sid).update(
        voice_url="https://app.example/v2", status_callback="https://app.example/s2"
    )
    assert (updated.voice_url, updated.status_callback) == (
        "https://app.example/v2",
        "https://app.example/s2",
    )
    assert client.incoming_phone_numbers(bought.sid).fetch().voice_url == "https://app.example/v2"
    assert client.incoming_phone_numbers(bought.sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        client.incoming_phone_numbers(bought.sid).fetch()
    assert (gone.value.status, gone.value.code) == (404, 20404)
    assert len(checked.exchanges) >= 10


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"phone_number": "0170000001"}, 21421),
        ({"phone_number": LINE, "voice_url": "ftp://app.example/voice"}, 21402),
    ],
)
def test_number_errors(client: Client, fields: dict[str, str], code: int) -> None:
    with pytest.raises(TwilioRestException) as failure:
        client.incoming_phone_numbers.create(**fields)
    assert (failure.value.status, failure.value.code) == (400, code)


def test_a_number_cannot_be_bought_twice(client: Client) -> None:
    client.incoming_phone_numbers.create(phone_number=LINE)
    with pytest.raises(TwilioRestException) as failure:
        client.incoming_phone_numbers.create(phone_number=LINE)
    assert failure.value.code == 21422


def test_numbers_given_at_start_survive_a_reset() -> None:
    with make_simulator(numbers=(LINE,)) as simulator:
        client = twilio_client(simulator.url)
        try:
            (number,) = client.incoming_phone_numbers.list()
            assert number.phone_number == LINE and number.origin == "configured"
            client.incoming_phone_numbers(number.sid).update(voice_url="https://app.example/v")
            client.incoming_phone_numbers.create(phone_number="+33170000002")
            requests.post(f"{simulator.url}/_sim/reset", timeout=5)
            (again,) = client.incoming_phone_numbers.list()
            assert again.phone_number == LINE and again.voice_url is None
        finally:
            client.http_client.session.close()  # type: ignore[union-attr]


def test_a_message_is_kept_and_reported_sent_then_delivered(
    simulator: SimulatorServer, receiver: Receiver, client: Client, checked: Checked
) -> None:
    client.incoming_phone_numbers.create(phone_number=SMS_LINE)
    message = client.messages.create(
        to="+33611223344",
        from_=SMS_LINE,
        body="Un client vous attend : rappelez le 06 11 22 33 44.",
        status_callback=f"{receiver.base_url}/sms-status",
    )
    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert (message.status, message.num_segments, message.direction) == (
        "queued",
        "1",
        "outbound-api",
    )
    assert (message.to, message.from_) == ("+33611223344", SMS_LINE)

    hits = wait_for(lambda: len(receiver.requests("/sms-status")) == 2 and receiver.requests(
        "/sms-status"), what="two status callbacks")  # fmt: skip
    assert [hit.params["MessageStatus"] for hit in hits] == ["sent", "delivered"]  # type: ignore[union-attr]
    for hit in hits:  # type: ignore[union-attr]
        assert hit.signature_ok and hit.params["MessageSid"] == message.sid
        assert hit.params["AccountSid"] == ACCOUNT_SID and hit.params["To"] == "+33611223344"
    assert client.messages(message.sid).fetch().status == "delivered"
    assert [m.sid for m in client.messages.list(to="+33611223344")] == [message.sid]

    ledger = get_json(f"{simulator.url}/_sim/messages")
    (kept,) = ledger["messages"]  # type: ignore[index]
    assert kept["body"].startswith("Un client") and kept["warnings"] == []
    assert [c["http_status"] for c in kept["callbacks"]] == [204, 204]
    requests.post(f"{simulator.url}/_sim/reset", timeout=5)
    assert get_json(f"{simulator.url}/_sim/messages") == {"messages": [], "count": 0}


def test_long_and_unicode_bodies_are_counted_in_segments(client: Client) -> None:
    send = SMS_LINE
    assert client.messages.create(to="+33611223344", from_=send, body="a" * 161).num_segments == "2"
    assert client.messages.create(to="+33611223344", from_=send, body="é" * 160).num_segments == "1"
    assert client.messages.create(to="+33611223344", from_=send, body="✓" * 71).num_segments == "2"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"to": "", "from_": SMS_LINE, "body": "hi"}, 21604),
        ({"to": "0611223344", "from_": SMS_LINE, "body": "hi"}, 21211),
        ({"to": "+33611223344", "from_": SMS_LINE, "body": ""}, 21602),
        ({"to": "+33611223344", "from_": SMS_LINE, "body": "x" * 1601}, 21617),
        ({"to": "+33611223344", "body": "hi"}, 21603),
        ({"to": "+33611223344", "from_": "garage-dupont", "body": "hi"}, 21212),
        ({"to": "+33611223344", "from_": "Garage Dupont", "body": "hi"}, 21212),  # 13 > 11
        ({"to": "+33611223344", "from_": LINE, "body": "hi"}, 21606),  # a landline
        ({"to": "+14155550123", "from_": "Dupont", "body": "hi"}, 21612),  # no alphanumeric
    ],
)
def test_message_errors(client: Client, fields: dict[str, str], code: int) -> None:
    with pytest.raises(TwilioRestException) as failure:
        client.messages.create(**fields)
    assert (failure.value.status, failure.value.code) == (400, code)


def test_a_messaging_service_may_send_and_an_unknown_from_is_flagged(
    simulator: SimulatorServer, client: Client
) -> None:
    via_service = client.messages.create(
        to="+33611223344", messaging_service_sid="MG" + "a" * 32, body="hi"
    )
    assert via_service.messaging_service_sid == "MG" + "a" * 32 and via_service.from_ is None
    client.messages.create(to="+33611223344", from_="+14155550199", body="hi")
    messages = get_json(f"{simulator.url}/_sim/messages")["messages"]  # type: ignore[index]
    assert "21606" in messages[1]["warnings"][0]


def test_a_french_landline_cannot_send_and_an_alphanumeric_sender_can(
    simulator: SimulatorServer, client: Client, checked: Checked
) -> None:
    """Twilio lists French geographic numbers without SMS, refuses a text from one (21606)
    even when the account owns it, and sends from an alphanumeric sender ID to France."""
    landline = client.incoming_phone_numbers.create(phone_number=LINE)
    us_line = client.incoming_phone_numbers.create(phone_number=SMS_LINE)
    assert (landline.capabilities["sms"], us_line.capabilities["sms"]) == (False, True)
    with pytest.raises(TwilioRestException) as refused:
        client.messages.create(to="+33611223344", from_=LINE, body="Rappel manqué")
    assert (refused.value.status, refused.value.code) == (400, 21606)
    named = client.messages.create(to="+33611223344", from_="Dupont Auto", body="Rappel manqué")
    assert (named.status, named.from_) == ("queued", "Dupont Auto")
    messages = get_json(f"{simulator.url}/_sim/messages")["messages"]  # type: ignore[index]
    assert [(m["from"], m["warnings"]) for m in messages] == [("Dupont Auto", [])]


def test_recording_resource_conforms(simulator: SimulatorServer, receiver: Receiver) -> None:
    receiver.routes["/twiml/voice"] = lambda p: '<Response><Record action="/twiml/x"/></Response>'
    receiver.routes["/twiml/x"] = lambda p: "<Response><Hangup/></Response>"
    client = twilio_client(simulator.url)
    try:
        client.incoming_phone_numbers.create(
            phone_number=LINE, voice_url=f"{receiver.base_url}/twiml/voice"
        )
    finally:
        client.http_client.session.close()  # type: ignore[union-attr]
    call = requests.post(
        f"{simulator.url}/_sim/inbound", json={"from": "+33611223344", "to": LINE}, timeout=30
    ).json()
    (recording,) = call["recordings"]
    spec = load_twilio_spec()
    shapes = twilio_definition()["components"]["schemas"]
    with requests.Session() as session:
        session.trust_env = False
        for resource in (recording["url"] + ".json", f"{simulator.url}/2010-04-01/Accounts/"
                         f"{ACCOUNT_SID}/Calls/{call['sid']}.json"):  # fmt: skip
            prepared = session.prepare_request(
                requests.Request("GET", resource, auth=(ACCOUNT_SID, AUTH_TOKEN))
            )
            response = session.send(prepared, timeout=5)
            assert response.status_code == 200
            assert request_violations(spec, prepared) == []
            assert response_violations(spec, prepared, response) == []
            shape = "recording" if "/Recordings/" in resource else "call"
            properties = shapes[f"api.v2010.account.{shape}"]["properties"]
            assert set(response.json()) == set(properties)


def test_number_and_message_json_have_every_property_of_twilios_definition(
    client: Client,
) -> None:
    shapes = twilio_definition()["components"]["schemas"]
    base = f"{client.api.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}"
    number = client.incoming_phone_numbers.create(phone_number=LINE)
    message = client.messages.create(to="+33611223344", from_="Dupont Auto", body="hi")
    for path, shape in [
        (f"IncomingPhoneNumbers/{number.sid}.json", "incoming_phone_number"),
        (f"Messages/{message.sid}.json", "message"),
    ]:
        body = client.http_client.request("GET", f"{base}/{path}", auth=(ACCOUNT_SID, AUTH_TOKEN))
        properties = shapes[f"api.v2010.account.{shape}"]["properties"]
        assert set(json.loads(body.text)) == set(properties), shape
