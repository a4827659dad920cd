"""Our Carrier against the project's carrier simulator (`voicecast simulator`), end to end: the
requests conform to Twilio's API, and the simulator's signed status callbacks pass our
`require_twilio_signature` on a tiny Flask app standing in for ours."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask, Response, request
from werkzeug.serving import make_server

from tests.carrier.conftest import ACCOUNT_SID, AUTH_TOKEN
from tests.twilio_conformance import ConformanceLog
from voicecast.carrier import Carrier, PermanentCarrierError
from voicecast.simulator.engine import SimulatorConfig
from voicecast.simulator.server import SimulatorServer
from voicecast.telephony.signatures import require_twilio_signature

BUSY_NUMBER = "+14155550106"  # the simulator's default rules: a last digit 6 is busy


class Sink:
    """Our webhooks' stand-in: signature-checked status callbacks, answers recorded."""

    def __init__(self) -> None:
        self.app = Flask(__name__)
        self.answers: list[tuple[str, int, dict[str, str]]] = []
        self.app.add_url_rule("/status", "status", require_twilio_signature(lambda: ("", 204)),
                              methods=["POST"])  # fmt: skip
        self.app.after_request(self.record)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.app.config.update(TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_BASE_URL=self.url)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def record(self, response: Response) -> Response:
        self.answers.append((request.path, response.status_code, request.form.to_dict()))
        return response

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def simulator() -> Iterator[SimulatorServer]:
    config = SimulatorConfig(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, cps=100.0,
                             time_scale=0.0)  # fmt: skip
    server = SimulatorServer(config).start()
    yield server
    server.close()


@pytest.fixture
def sink() -> Iterator[Sink]:
    app = Sink()
    yield app
    app.close()


def wait_for(condition: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {condition.__doc__ or condition}")
        time.sleep(0.02)


def test_a_call_placed_at_the_simulator_is_reported_signed_and_found_again(
    simulator: SimulatorServer,
    sink: Sink,
    make_carrier: Callable[..., Carrier],
    conformance: Callable[[Carrier], ConformanceLog],
) -> None:
    carrier = make_carrier(simulator.url)
    log = conformance(carrier)
    began = datetime.now(UTC) - timedelta(seconds=2)

    call = carrier.place_call(
        to=BUSY_NUMBER,
        from_="+33170000001",
        url=f"{sink.url}/answer",
        status_callback=f"{sink.url}/status",
    )

    def completed() -> bool:
        """the final status callback"""
        return any(form.get("CallStatus") == "busy" for _, _, form in sink.answers)

    wait_for(completed)
    assert [status for _, status, _ in sink.answers if status != 204] == []
    assert {form["CallSid"] for _, _, form in sink.answers} == {call.sid}
    assert carrier.fetch_call(call.sid).status == "busy"
    assert call.sid in {found.sid for found in carrier.find_calls(BUSY_NUMBER, began)}
    assert log.violations == [] and len(log.sent) >= 4


def test_texts_go_from_each_kind_of_sender_and_never_from_a_french_landline(
    simulator: SimulatorServer,
    make_carrier: Callable[..., Carrier],
    conformance: Callable[[Carrier], ConformanceLog],
) -> None:
    """An alphanumeric sender ID, a Messaging Service and an SMS-capable number each send a
    conforming request; a French landline the account owns is listed without SMS and refused
    (21606), as Twilio does, and never reaches a phone."""
    carrier = make_carrier(simulator.url)
    log = conformance(carrier)
    for number in ("+33170000001", "+14155550100"):
        carrier.client.incoming_phone_numbers.create(phone_number=number)
    capable = {ref.phone_number: ref.sms_capable for ref in carrier.list_numbers()}
    assert capable == {"+33170000001": False, "+14155550100": True}
    seller = "+33611223344"

    sids = [
        carrier.send_sms(to=seller, body="Rappel manqué", from_="Dupont Auto"),
        carrier.send_sms(to=seller, body="Rappel manqué", messaging_service_sid="MG" + "a" * 32),
        carrier.send_sms(to=seller, body="Rappel manqué", from_="+14155550100"),
    ]
    with pytest.raises(PermanentCarrierError) as refused:
        carrier.send_sms(to=seller, body="Rappel manqué", from_="+33170000001")

    assert all(sid.startswith("SM") for sid in sids)
    assert (refused.value.code, refused.value.status) == (21606, 400)
    senders = [(form.get("From"), form.get("MessagingServiceSid")) for form in log.forms("POST")]
    assert senders[-4:] == [
        (["Dupont Auto"], None),
        (None, ["MG" + "a" * 32]),
        (["+14155550100"], None),
        (["+33170000001"], None),
    ]
    assert log.violations == []
