"""The simulator's roughness settings (`/_sim/roughness`): checked input, the realistic profile
drawn the same way on every run, SMS refused from a number that cannot send (21606)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from voicecast.simulator.roughness import REALISTIC, RoughBook, realistic_for
from voicecast.simulator.server import SimulatorServer


def post(simulator: SimulatorServer, body: object) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{simulator.url}/_sim/roughness", json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"profile": "rough"}, "profile is off or realistic"),
        ({"numbers": {"abc": {}}}, "numbers or digit suffixes"),
        ({"numbers": {"05": {"drop_callbacks": ["hung-up"]}}}, "list of events"),
        ({"numbers": {"05": {"detection_error": "yes"}}}, "true or false"),
        ({"numbers": {"05": {"callback_delay_s": -1}}}, ">= 0"),
        ({"numbers": {"05": {"loud": True}}}, "unknown roughness fields"),
        ({"max_queue_s": 0}, "max_queue_s"),
        ([], "send a JSON object"),
    ],
)
def test_bad_settings_are_refused_with_what_to_fix(simulator, body, says) -> None:
    status, answer = post(simulator, body)
    assert status == 400 and says in answer["error"], answer


def test_settings_are_shown_and_reset(simulator) -> None:
    status, answer = post(simulator, {"numbers": {"05": {"reorder_callbacks": True}}})
    assert status == 200 and answer["numbers"] == {"05": {"reorder_callbacks": True}}
    assert answer["profile"] == "off" and answer["max_queue_s"] == 86_400
    urllib.request.urlopen(urllib.request.Request(f"{simulator.url}/_sim/reset", method="POST"))
    assert post(simulator, {})[1]["numbers"] == {}


def test_the_realistic_profile_is_deterministic_by_number_at_its_rates() -> None:
    numbers = [f"+336{n:08d}" for n in range(20_000)]
    assert [realistic_for(n) for n in numbers[:50]] == [realistic_for(n) for n in numbers[:50]]
    wrong = sum(realistic_for(n, "machine_end_beep").detection_error for n in numbers)
    assert abs(wrong / len(numbers) - REALISTIC["machine_taken_for_human"]) < 0.01
    book = RoughBook("realistic")
    book.configure({"numbers": {"+33600000001": {"detection_error": False}}})
    assert book.for_number("+33600000001")[1] == "script +33600000001"
    assert book.for_number("+33600000002")[1] == "profile realistic"
    assert RoughBook().for_number("+33600000002")[0] == RoughBook().for_number("+1")[0]


def test_an_sms_from_a_number_that_cannot_send_is_refused_21606(simulator, client: Client):
    post(simulator, {"numbers": {"+33159000000": {"sms_capable": False}}})
    with pytest.raises(TwilioRestException) as refused:
        client.messages.create(to="+33612345678", from_="+33159000000", body="Rappel")
    assert refused.value.status == 400 and refused.value.code == 21606
    post(simulator, {"profile": "realistic", "numbers": {"+33159000000": {"sms_capable": True}}})
    with pytest.raises(TwilioRestException) as geographic:
        client.messages.create(to="+33612345678", from_="+33170000001", body="Rappel")
    assert geographic.value.code == 21606
    assert client.messages.create(to="+33612345678", from_="+33159000000", body="Rappel").sid
