"""Fixtures for the carrier tests: a Twilio-shaped peer on loopback and carriers pointed at it."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest

from tests.carrier.twilio_peer import TwilioPeer
from tests.twilio_conformance import ConformanceLog, conformance, twilio_spec
from voicecast.carrier import Carrier

__all__ = ["conformance", "twilio_spec"]

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "peer-token-" + "x" * 21


@pytest.fixture
def peer() -> Iterator[TwilioPeer]:
    server = TwilioPeer(ACCOUNT_SID, AUTH_TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def make_carrier() -> Iterator[Callable[..., Carrier]]:
    """`make_carrier(api_url, **options)`: a real `Carrier`, closed after the test."""
    carriers: list[Carrier] = []

    def make(api_url: str, *, timeout: float = 5.0, token: str = AUTH_TOKEN) -> Carrier:
        carrier = Carrier(ACCOUNT_SID, token, api_url, timeout=timeout)
        carriers.append(carrier)
        return carrier

    yield make
    for carrier in carriers:
        carrier.close()


@pytest.fixture
def conforming_carrier(
    peer: TwilioPeer,
    make_carrier: Callable[..., Carrier],
    conformance: Callable[[Carrier], ConformanceLog],
) -> tuple[Carrier, ConformanceLog]:
    """A carrier speaking to the peer whose every request is checked against Twilio's API."""
    carrier = make_carrier(peer.url)
    return carrier, conformance(carrier)


def random_number() -> str:
    return "+1415555" + f"{secrets.randbelow(10000):04d}"
