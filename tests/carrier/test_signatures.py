"""`require_twilio_signature`: only requests Twilio signed for our public URL get through."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask
from twilio.request_validator import RequestValidator

from voicecast.config import load_settings
from voicecast.telephony.signatures import public_request_url, require_twilio_signature

TOKEN = "webhook-token-0123456789abcdef"
PUBLIC = "https://voicecast.example"
PARAMS = {"CallSid": "CA" + "1" * 32, "CallStatus": "ringing", "SequenceNumber": "1"}


@pytest.fixture
def webhook_app(tmp_path: Path) -> Flask:
    """A Flask app configured by the real settings loader, with no route added and no database:
    the decorator reads only TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL."""
    app = Flask(__name__)
    env = {"TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": PUBLIC + "/"}
    app.config.from_mapping(load_settings(env, tmp_path / "instance"))
    return app


@require_twilio_signature
def status_webhook() -> str:
    """A decorated view, called directly: the tests add no route to the application."""
    return "accepted"


def sign(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def call(app: Flask, path: str, params: dict[str, str], signature: str | None, **context):
    headers = {"X-Twilio-Signature": signature} if signature is not None else {}
    # As the WSGI server sees it behind a TLS proxy: plain http on loopback.
    context.setdefault("base_url", "http://127.0.0.1:8000")
    with app.test_request_context(path, method="POST", data=params, headers=headers, **context):
        return app.make_response(status_webhook())


def test_a_valid_signature_passes(webhook_app: Flask) -> None:
    path = "/telephony/status/42"
    response = call(webhook_app, path, PARAMS, sign(PUBLIC + path, PARAMS))
    assert response.status_code == 200 and response.get_data(as_text=True) == "accepted"


def test_a_missing_signature_is_refused_and_logged(
    webhook_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="voicecast.telephony.signatures"):
        response = call(webhook_app, "/telephony/status/42", PARAMS, None)
    assert response.status_code == 403
    assert response.mimetype == "text/plain"
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "/telephony/status/42" in record.getMessage() and "no signature" in record.getMessage()


def test_a_signature_made_with_another_token_is_refused(webhook_app: Flask) -> None:
    path = "/telephony/status/42"
    response = call(webhook_app, path, PARAMS, sign(PUBLIC + path, PARAMS, token="forged"))
    assert response.status_code == 403


def test_a_replay_with_a_changed_parameter_is_refused(webhook_app: Flask) -> None:
    path = "/telephony/status/42"
    signature = sign(PUBLIC + path, PARAMS)
    changed = {**PARAMS, "CallStatus": "completed"}
    assert call(webhook_app, path, changed, signature).status_code == 403
    added = {**PARAMS, "AnsweredBy": "human"}
    assert call(webhook_app, path, added, signature).status_code == 403


def test_the_public_url_is_signed_not_the_one_the_server_sees(webhook_app: Flask) -> None:
    path = "/telephony/status/42"
    seen_locally = sign("http://127.0.0.1:8000" + path, PARAMS)
    assert call(webhook_app, path, PARAMS, seen_locally).status_code == 403
    public = sign(PUBLIC + path, PARAMS)
    assert call(webhook_app, path, PARAMS, public).status_code == 200


def test_the_host_header_is_not_trusted(webhook_app: Flask) -> None:
    path = "/telephony/status/42"
    forged_host = sign("https://attacker.example" + path, PARAMS)
    response = call(webhook_app, path, PARAMS, forged_host, base_url="https://attacker.example")
    assert response.status_code == 403


def test_the_query_string_is_part_of_the_signed_url(webhook_app: Flask) -> None:
    path = "/telephony/amd/42?attempt=7&campaign=3"
    signature = sign(PUBLIC + path, PARAMS)
    assert call(webhook_app, path, PARAMS, signature).status_code == 200
    moved = "/telephony/amd/42?attempt=8&campaign=3"
    assert call(webhook_app, moved, PARAMS, signature).status_code == 403
    without_query = sign(PUBLIC + "/telephony/amd/42", PARAMS)
    assert call(webhook_app, path, PARAMS, without_query).status_code == 403


def test_twilio_may_sign_with_the_default_port(webhook_app: Flask) -> None:
    path = "/telephony/status/42"
    with_port = sign("https://voicecast.example:443" + path, PARAMS)
    assert call(webhook_app, path, PARAMS, with_port).status_code == 200


def test_without_an_auth_token_everything_is_refused(
    webhook_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    webhook_app.config["TWILIO_AUTH_TOKEN"] = ""
    path = "/telephony/status/42"
    with caplog.at_level(logging.WARNING, logger="voicecast.telephony.signatures"):
        response = call(webhook_app, path, PARAMS, sign(PUBLIC + path, PARAMS, token=""))
    assert response.status_code == 403
    assert "TWILIO_AUTH_TOKEN is not set" in caplog.text


def test_public_url_keeps_a_base_path_and_escapes_the_path_as_url_building_does(
    webhook_app: Flask,
) -> None:
    with webhook_app.test_request_context("/telephony/status/a%20b?x=%2B1"):
        from flask import request

        url = public_request_url(request, "https://voicecast.example/app/")
    assert url == "https://voicecast.example/app/telephony/status/a%20b?x=%2B1"
