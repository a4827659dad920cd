"""Carrier failures, provoked over real HTTP, come back classified: permanent or retryable, and
ambiguous when the request may have taken effect."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from twilio.base.exceptions import TwilioRestException, TwilioServiceException

from tests.carrier.conftest import random_number
from tests.carrier.twilio_peer import INVALID_TO, Scripted, TwilioPeer, twilio_error
from tests.twilio_conformance import ConformanceLog
from voicecast.carrier import Carrier, PermanentCarrierError, RetryableCarrierError
from voicecast.carrier.errors import PERMANENT_CODES, from_twilio_exception

SELLER = "+33170000001"


def place(carrier: Carrier, to: str | None = None) -> object:
    return carrier.place_call(
        to=to or random_number(),
        from_=SELLER,
        url="https://voicecast.example/amd",
        status_callback="https://voicecast.example/status",
    )


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_invalid_number_is_permanent(
    conforming_carrier: tuple[Carrier, ConformanceLog],
) -> None:
    carrier, _ = conforming_carrier
    with pytest.raises(PermanentCarrierError) as raised:
        place(carrier, INVALID_TO)
    error = raised.value
    assert (error.code, error.status, error.reason) == (21211, 400, "invalid_number")
    assert not error.retryable and not error.ambiguous and not error.affects_account


@pytest.mark.parametrize("status", [429, 503])
def test_too_many_requests_is_retryable_and_never_ambiguous(
    conforming_carrier: tuple[Carrier, ConformanceLog], peer: TwilioPeer, status: int
) -> None:
    """20429 means "not processed", whatever HTTP status carries it."""
    carrier, _ = conforming_carrier
    peer.script(Scripted(status, twilio_error(status, 20429, "Too Many Requests")))
    with pytest.raises(RetryableCarrierError) as raised:
        place(carrier)
    assert (raised.value.code, raised.value.reason) == (20429, "rate_limited")
    assert raised.value.retryable and not raised.value.ambiguous
    assert peer.calls == {}


def test_a_server_error_on_create_is_retryable_and_ambiguous(
    conforming_carrier: tuple[Carrier, ConformanceLog], peer: TwilioPeer
) -> None:
    carrier, _ = conforming_carrier
    peer.script(Scripted(500, twilio_error(500, 20500, "Internal Server Error")))
    with pytest.raises(RetryableCarrierError) as raised:
        place(carrier)
    assert (raised.value.status, raised.value.code, raised.value.reason) == (
        500,
        20500,
        "server_error",
    )
    assert raised.value.ambiguous


def test_a_server_error_without_a_body_on_fetch_is_retryable_not_ambiguous(
    conforming_carrier: tuple[Carrier, ConformanceLog], peer: TwilioPeer
) -> None:
    carrier, _ = conforming_carrier
    call = peer.add_call(random_number(), from_=SELLER)
    peer.script(Scripted(502, {}))
    with pytest.raises(RetryableCarrierError) as raised:
        carrier.fetch_call(call.sid)
    assert raised.value.status == 502 and raised.value.code is None
    assert not raised.value.ambiguous


def test_connection_refused_is_retryable_and_not_ambiguous(
    make_carrier: Callable[..., Carrier],
) -> None:
    carrier = make_carrier(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(RetryableCarrierError) as raised:
        place(carrier)
    assert raised.value.reason == "connection" and not raised.value.ambiguous
    assert "before sending" in str(raised.value)


def test_a_timeout_after_sending_is_ambiguous_and_the_call_is_found_afterwards(
    make_carrier: Callable[..., Carrier], peer: TwilioPeer
) -> None:
    """The carrier created the call but answered too late: look it up, do not dial again."""
    carrier = make_carrier(peer.url, timeout=0.3)
    to = random_number()
    attempt_began = datetime.now(UTC) - timedelta(seconds=1)
    peer.script(Scripted(delay=3.0))
    with pytest.raises(RetryableCarrierError) as raised:
        place(carrier, to)
    assert raised.value.reason == "timeout" and raised.value.ambiguous

    found = carrier.find_calls(to, attempt_began)
    assert [call.sid for call in found] == list(peer.calls)
    assert found[0].status == "queued"


def test_a_connection_dropped_after_sending_is_ambiguous_on_create_only(
    conforming_carrier: tuple[Carrier, ConformanceLog], peer: TwilioPeer
) -> None:
    carrier, _ = conforming_carrier
    call = peer.add_call(random_number(), from_=SELLER)
    peer.script(Scripted(drop=True), Scripted(drop=True))
    with pytest.raises(RetryableCarrierError) as on_create:
        place(carrier)
    with pytest.raises(RetryableCarrierError) as on_fetch:
        carrier.fetch_call(call.sid)
    assert on_create.value.reason == "connection" and on_create.value.ambiguous
    assert on_fetch.value.reason == "connection" and not on_fetch.value.ambiguous


@pytest.mark.parametrize(
    ("to", "from_", "reason"),
    [
        ("0612345678", SELLER, "invalid_number"),
        ("+33 6 12 34 56 78", SELLER, "invalid_number"),
        ("+14155550100", "Voicecast", "invalid_caller_id"),
    ],
)
def test_numbers_that_are_not_e164_are_refused_before_sending(
    make_carrier: Callable[..., Carrier], peer: TwilioPeer, to: str, from_: str, reason: str
) -> None:
    carrier = make_carrier(peer.url)
    with pytest.raises(PermanentCarrierError) as raised:
        carrier.place_call(
            to=to, from_=from_, url="https://a.example/", status_callback="https://a.example/s"
        )
    assert raised.value.reason == reason and raised.value.status is None
    assert peer.received == []


def test_unknown_call_is_permanent_not_found(
    conforming_carrier: tuple[Carrier, ConformanceLog],
) -> None:
    carrier, _ = conforming_carrier
    with pytest.raises(PermanentCarrierError) as raised:
        carrier.fetch_call("CA" + "f" * 32)
    assert (raised.value.status, raised.value.code, raised.value.reason) == (
        404,
        20404,
        "not_found",
    )


def test_a_wrong_auth_token_is_permanent_and_concerns_the_account(
    make_carrier: Callable[..., Carrier], peer: TwilioPeer
) -> None:
    carrier = make_carrier(peer.url, token="not-the-token")
    with pytest.raises(PermanentCarrierError) as raised:
        place(carrier)
    assert (raised.value.status, raised.value.code, raised.value.reason) == (401, 20003, "auth")
    assert raised.value.affects_account


def test_without_credentials_nothing_is_sent(peer: TwilioPeer) -> None:
    carrier = Carrier("", "", peer.url)
    try:
        with pytest.raises(PermanentCarrierError) as raised:
            place(carrier)
    finally:
        carrier.close()
    assert raised.value.reason == "not_configured" and raised.value.affects_account
    assert peer.received == []


@pytest.mark.parametrize("code", sorted(PERMANENT_CODES))
def test_twilios_permanent_codes(code: int) -> None:
    error = TwilioRestException(400, "/Calls.json", "refused", code, "POST")
    classified = from_twilio_exception(error, mutation=True)
    assert isinstance(classified, PermanentCarrierError)
    assert classified.code == code and classified.reason == PERMANENT_CODES[code]
    assert not classified.ambiguous


def test_other_client_errors_are_permanent() -> None:
    error = TwilioRestException(400, "/Calls.json", "bad", 21205, "POST")
    classified = from_twilio_exception(error, mutation=True)
    assert isinstance(classified, PermanentCarrierError) and classified.reason == "rejected"


@pytest.mark.parametrize(
    "reply",
    [Scripted(201, {}), Scripted(201, raw=b"<html>gateway</html>")],
    ids=["without-sid", "not-json"],
)
def test_an_unreadable_success_on_create_is_ambiguous(
    conforming_carrier: tuple[Carrier, ConformanceLog], peer: TwilioPeer, reply: Scripted
) -> None:
    """The carrier said yes but we cannot read the call: it may exist, look it up."""
    carrier, _ = conforming_carrier
    peer.script(reply)
    with pytest.raises(RetryableCarrierError) as raised:
        place(carrier)
    assert raised.value.reason == "bad_response" and raised.value.ambiguous


def test_problem_details_errors_are_classified_too() -> None:
    """twilio-python raises TwilioServiceException for RFC 9457 bodies."""
    error = TwilioServiceException("about:blank", "Too Many Requests", 429, 20429, method="POST")
    classified = from_twilio_exception(error, mutation=True)
    assert isinstance(classified, RetryableCarrierError)
    assert classified.reason == "rate_limited" and not classified.ambiguous
    assert "Too Many Requests" in str(classified)


def test_call_sids_are_checked_before_use(
    make_carrier: Callable[..., Carrier], peer: TwilioPeer
) -> None:
    carrier = make_carrier(peer.url)
    for bad in ("", "../Accounts", "CA123"):
        with pytest.raises(ValueError, match="not a call SID"):
            carrier.fetch_call(bad)
        with pytest.raises(ValueError, match="not a call SID"):
            carrier.cancel_call(bad)
    assert peer.received == []
