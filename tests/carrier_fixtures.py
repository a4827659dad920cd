"""The carrier simulator and our app served on loopback, wired together as `voicecast dev` does.

A test module uses them with `pytest_plugins = ["tests.carrier_fixtures"]`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest
from werkzeug.serving import make_server

from voicecast.simulator.engine import SimulatorConfig, Timings
from voicecast.simulator.server import SimulatorServer

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "simulated-auth-token"
FAST = Timings(initiate=0.02, ring=0.05, busy=0.05, no_answer=0.1, human_detection=0.02,
               greeting=0.05, play_factor=0.02)  # fmt: skip


def serve_carrier(app, monkeypatch, **config) -> SimulatorServer:
    """A simulator with `config` over the tests' defaults, the app pointed at it."""
    config = {"account_sid": SID, "auth_token": TOKEN, "cps": 100.0, "timings": FAST, **config}
    server = SimulatorServer(SimulatorConfig(**config)).start()
    settings = {
        "TWILIO_API_URL": server.url,
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_CALLS_PER_SECOND": "50",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    app.config.update(settings, TWILIO_CALLS_PER_SECOND=50.0)
    return server


@pytest.fixture
def carrier(app, monkeypatch) -> Iterator[SimulatorServer]:
    """The simulator, with the app and its workers pointed at it like `voicecast dev` does."""
    server = serve_carrier(app, monkeypatch)
    yield server
    server.close()


@pytest.fixture
def paced_carrier(app, monkeypatch) -> Iterator[SimulatorServer]:
    """The simulator playing audio at a fifth of real time (a media second 0.2 s), so that a
    mailbox's cut a second or two after its beep comes after our redirect to the message
    even on a loaded machine (at FAST's 0.02, a 100 ms webhook is 5 media seconds)."""
    server = serve_carrier(app, monkeypatch, timings=replace(FAST, play_factor=0.2))
    yield server
    server.close()


@pytest.fixture
def slow_carrier(app, monkeypatch) -> Iterator[SimulatorServer]:
    """The simulator starting 2 calls a second, so that a campaign's calls wait in its queue."""
    server = serve_carrier(app, monkeypatch, cps=2.0)
    yield server
    server.close()


@pytest.fixture
def conforming_service(app, monkeypatch) -> Iterator[list]:
    """Every request the service sends the carrier from now on (the web process's and the
    jobs': calls, call updates, hang-ups, look-ups, messages) checked against Twilio's API
    definition (`tests/twilio_conformance.py`); a violation fails the test at teardown.
    Yields the logs, one per carrier client made."""
    import voicecast.carrier
    from tests.twilio_conformance import conform, load_twilio_spec
    from voicecast.carrier import close_carrier_client

    logs = []
    made = voicecast.carrier.carrier_from_config

    def conforming(config: dict):
        carrier = made(config)
        logs.append(conform(carrier, load_twilio_spec()))
        return carrier

    close_carrier_client(app)
    monkeypatch.setattr(voicecast.carrier, "carrier_from_config", conforming)
    yield logs
    violations = [problem for log in logs for problem in log.violations]
    assert not violations, "requests to the carrier did not conform:\n" + "\n".join(violations)
    assert any(log.sent for log in logs), "no request was checked"


@pytest.fixture
def public_app(app, monkeypatch) -> Iterator[str]:
    """Our app served on loopback, where the simulator sends its webhooks."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setenv("PUBLIC_BASE_URL", url)
    app.config["PUBLIC_BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()
