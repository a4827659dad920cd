"""Twilio's REST shapes and rules: auth, validation, list filters and paging, CPS, cancel."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from tests.simulator.fixtures import (
    ACCOUNT_SID,
    FROM,
    Receiver,
    get_json,
    make_simulator,
    settled_call,
    twilio_client,
)
from tests.twilio_conformance import twilio_definition
from voicecast.simulator.server import SimulatorServer


def test_wrong_credentials_get_401_in_twilios_shape(simulator: SimulatorServer) -> None:
    intruder = twilio_client(simulator.url, ACCOUNT_SID, "wrong-token")
    try:
        with pytest.raises(TwilioRestException) as failure:
            intruder.calls.create(to="+33612345670", from_=FROM, url="http://127.0.0.1/x")
    finally:
        intruder.http_client.session.close()  # type: ignore[attr-defined]
    assert failure.value.status == 401
    assert failure.value.code == 20003
    assert get_json(f"{simulator.url}/_sim/calls")["count"] == 0  # type: ignore[index]


@pytest.mark.parametrize(
    ("to", "from_", "url", "code"),
    [
        ("0612345678", FROM, "http://127.0.0.1/twiml", 21211),
        ("+33 6 12 34 56 78", FROM, "http://127.0.0.1/twiml", 21211),
        ("", FROM, "http://127.0.0.1/twiml", 21201),
        ("+33612345678", "", "http://127.0.0.1/twiml", 21213),
        ("+33612345678", "garage", "http://127.0.0.1/twiml", 21212),
        ("+33612345678", FROM, None, 21205),
        ("+33612345678", FROM, "ftp://127.0.0.1/twiml", 21205),
    ],
)
def test_invalid_create_requests_get_400(
    client: Client, to: str, from_: str, url: str | None, code: int
) -> None:
    with pytest.raises(TwilioRestException) as failure:
        client.calls.create(to=to, from_=from_, url=url)
    assert (failure.value.status, failure.value.code) == (400, code)


def test_unknown_call_is_404(client: Client) -> None:
    with pytest.raises(TwilioRestException) as failure:
        client.calls("CA" + "0" * 32).fetch()
    assert (failure.value.status, failure.value.code) == (404, 20404)


def test_call_json_has_the_shape_of_twilios_definition(
    simulator: SimulatorServer, client: Client
) -> None:
    definition = twilio_definition()
    spec = definition["components"]["schemas"]
    properties = spec["api.v2010.account.call"]["properties"]
    call = client.calls.create(to="+33612345675", from_=FROM, twiml="<Response/>")
    settled_call(simulator, call.sid)
    body = client.http_client.request(  # the raw JSON, as twilio-python receives it
        "GET",
        f"{simulator.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{call.sid}.json",
        auth=(ACCOUNT_SID, "test-auth-token"),
    )
    resource = json.loads(body.text)
    envelope = client.http_client.request(
        "GET",
        f"{simulator.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json",
        auth=(ACCOUNT_SID, "test-auth-token"),
    )
    calls = definition["paths"]["/2010-04-01/Accounts/{AccountSid}/Calls.json"]
    list_schema = calls["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(json.loads(envelope.text)) == set(list_schema["properties"])
    assert set(resource) == set(properties)
    for name, value in resource.items():
        schema = properties[name]
        if value is None:
            assert schema.get("nullable"), name
        elif "$ref" in schema:
            assert value in spec[schema["$ref"].rsplit("/", 1)[1]]["enum"]
        else:
            assert isinstance(value, {"string": str, "object": dict}[schema["type"]]), name


def test_list_filters_and_paging_with_twilio_python(
    simulator: SimulatorServer, client: Client
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=2)
    target = "+33611111118"  # last digit 8: fails at once
    sids = [client.calls.create(to=target, from_=FROM, twiml="<Response/>").sid for _ in range(5)]
    other = client.calls.create(to="+33622222228", from_=FROM, twiml="<Response/>").sid
    for sid in [*sids, other]:
        settled_call(simulator, sid)

    listed = client.calls.list(to=target, page_size=2)
    assert [call.sid for call in listed] == sids[::-1]  # newest first, across 3 pages
    assert len(client.calls.list(to=target, limit=3)) == 3
    assert {call.sid for call in client.calls.list(status="failed")} == {*sids, other}
    assert client.calls.list(status="busy") == []
    assert {c.sid for c in client.calls.list(from_=FROM, start_time_after=before)} == {
        *sids,
        other,
    }
    assert client.calls.list(start_time_before=before) == []
    today = datetime.now(UTC).date()
    assert len(client.calls.list(start_time=today, to=target)) == 5

    first = client.calls.page(to=target, page_size=2)
    assert first.next_page_url is not None and first.next_page_url.startswith(simulator.url)
    second = first.next_page()
    assert [call.sid for call in second] == sids[2:0:-1]
    assert [call.sid for call in second.next_page()] == sids[:1]


def test_cps_limit_queues_and_starts_first_in_first_out(receiver: Receiver) -> None:
    with make_simulator(cps=5.0) as simulator:
        client = twilio_client(simulator.url)
        try:
            created = time.monotonic()
            sids = [
                client.calls.create(to=f"+3361234560{n}", from_=FROM, twiml="<Response/>").sid
                for n in range(10)
            ]
            entries = [settled_call(simulator, sid) for sid in sids]
            elapsed = time.monotonic() - created
        finally:
            client.http_client.session.close()  # type: ignore[attr-defined]
    starts = [datetime.fromisoformat(entry["started_at"]).timestamp() for entry in entries]
    assert starts == sorted(starts)  # first in, first out
    assert starts[-1] - starts[0] >= 1.8 - 0.01
    assert elapsed >= 1.8
    for first in starts:
        in_window = [s for s in starts if first <= s < first + 1.0]
        assert len(in_window) <= 5
    queue_times = [entry["queue_time_ms"] for entry in entries]
    assert queue_times[-1] >= 1500 and queue_times[0] < 500


def test_canceling_a_queued_call_sends_no_callback(receiver: Receiver) -> None:
    with make_simulator(cps=1.0) as simulator:
        client = twilio_client(simulator.url)
        try:
            calls = [
                client.calls.create(
                    to=f"+3361234567{n}",  # 0 and 1: machines
                    from_=FROM,
                    twiml="<Response/>",
                    status_callback=f"{receiver.base_url}/status",
                    status_callback_event=["initiated", "ringing", "answered", "completed"],
                )
                for n in range(3)
            ]
            assert calls[1].sid in {call.sid for call in client.calls.list(status="queued")}
            assert client.calls(calls[2].sid).update(status="canceled").status == "canceled"
            settled_call(simulator, calls[1].sid)
            canceled = settled_call(simulator, calls[2].sid)
            assert client.calls(calls[2].sid).fetch().status == "canceled"
        finally:
            client.http_client.session.close()  # type: ignore[attr-defined]
    assert receiver.requests("/status", calls[2].sid) == []
    assert canceled["started_at"] is None and canceled["callbacks"] == []
    assert len(receiver.requests("/status", calls[1].sid)) == 4


def test_rules_override_reset_and_health(
    simulator: SimulatorServer, receiver: Receiver, client: Client
) -> None:
    import urllib.request

    def post(path: str, body: object) -> object:
        request = urllib.request.Request(
            simulator.url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=5) as response:
            return json.load(response)

    rules = post("/_sim/rules", {"+33612345670": "busy", "99": "fax"})
    assert rules["overrides"] == {"+33612345670": "busy", "99": "fax"}  # type: ignore[index]
    busy = client.calls.create(to="+33612345670", from_=FROM, twiml="<Response/>").sid
    fax = client.calls.create(
        to="+33612345699",
        from_=FROM,
        url=f"{receiver.base_url}/twiml/amd",
        machine_detection="DetectMessageEnd",
    ).sid
    assert settled_call(simulator, busy)["status"] == "busy"
    assert settled_call(simulator, fax)["answered_by"] == "fax"
    assert settled_call(simulator, fax)["outcome_rule"] == "suffix 99"
    health = get_json(f"{simulator.url}/_sim/health")
    assert health["status"] == "ok" and health["calls"] == 2  # type: ignore[index]

    assert post("/_sim/reset", {}) == {"status": "reset"}
    ledger = get_json(f"{simulator.url}/_sim/calls")
    assert ledger["count"] == 0 and ledger["rules"]["overrides"] == {}  # type: ignore[index]
