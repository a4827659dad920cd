"""`carrier_client()`: one Carrier per application, built from its settings, speaking to
TWILIO_API_URL whatever the process environment says about Twilio."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from tests.carrier.conftest import ACCOUNT_SID, AUTH_TOKEN, random_number
from tests.carrier.twilio_peer import TwilioPeer
from voicecast.carrier import carrier_client, close_carrier_client
from voicecast.carrier.http import rebase_url
from voicecast.config import ConfigError, load_settings


def configured_app(tmp_path: Path, **env: str) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(load_settings(env, tmp_path / "instance"))
    return app


def test_one_carrier_per_app_from_its_settings(
    tmp_path: Path, peer: TwilioPeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Settings come from the app's config only: twilio-python's own environment variables
    # (credentials, region, edge) must change nothing.
    monkeypatch.setenv("TWILIO_REGION", "au1")
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "9" * 32)
    app = configured_app(
        tmp_path,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_API_URL=peer.url + "/",
        TWILIO_HTTP_TIMEOUT="2.5",
    )
    other = configured_app(tmp_path, TWILIO_API_URL=peer.url)
    try:
        with app.app_context():
            carrier = carrier_client()
            assert carrier_client() is carrier
        assert carrier_client(other) is not carrier
        assert carrier.http_client.timeout == 2.5
        call = carrier.place_call(
            to=random_number(),
            from_="+33170000001",
            url="https://voicecast.example/amd",
            status_callback="https://voicecast.example/status",
        )
        assert call.sid in peer.calls
        assert peer.received[0].path.startswith(f"/2010-04-01/Accounts/{ACCOUNT_SID}/")
    finally:
        close_carrier_client(app)
        close_carrier_client(other)
    assert "voicecast.carrier" not in app.extensions


def test_the_default_timeout_is_ten_seconds(tmp_path: Path) -> None:
    app = configured_app(tmp_path)
    assert app.config["TWILIO_HTTP_TIMEOUT"] == 10.0
    assert app.config["TWILIO_API_URL"] == "https://api.twilio.com"
    try:
        assert carrier_client(app).http_client.timeout == 10.0
    finally:
        close_carrier_client(app)


@pytest.mark.parametrize("raw", ["0", "-1", "soon"])
def test_a_bad_timeout_is_a_config_error(tmp_path: Path, raw: str) -> None:
    with pytest.raises(ConfigError, match="TWILIO_HTTP_TIMEOUT"):
        load_settings({"TWILIO_HTTP_TIMEOUT": raw}, tmp_path)


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        (
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Calls.json?To=%2B1",
            "http://127.0.0.1:5099",
            "http://127.0.0.1:5099/2010-04-01/Accounts/AC1/Calls.json?To=%2B1",
        ),
        (
            "https://api.sydney.au1.twilio.com/2010-04-01/Calls.json",
            "https://carrier.example/twilio/",
            "https://carrier.example/twilio/2010-04-01/Calls.json",
        ),
        ("https://elsewhere.example/x", "http://127.0.0.1:5099", "https://elsewhere.example/x"),
        ("https://nottwilio.com/x", "http://127.0.0.1:5099", "https://nottwilio.com/x"),
    ],
)
def test_rebase_url(url: str, base: str, expected: str) -> None:
    assert rebase_url(url, base) == expected
