"""Fixtures of the simulator tests (helpers are in fixtures.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from tests.simulator.fixtures import Receiver, make_simulator, twilio_client
from voicecast.simulator.server import SimulatorServer


@pytest.fixture
def simulator() -> Iterator[SimulatorServer]:
    server = make_simulator()
    yield server
    server.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    app = Receiver()
    yield app
    app.close()


@pytest.fixture
def client(simulator: SimulatorServer) -> Iterator[Client]:
    twilio = twilio_client(simulator.url)
    yield twilio
    assert isinstance(twilio.http_client, TwilioHttpClient)
    assert twilio.http_client.session is not None
    twilio.http_client.session.close()
