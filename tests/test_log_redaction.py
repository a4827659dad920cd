"""Secrets in URLs never reach a log: the seller's recording link, the voicemail link and a signed
recording file's signature, requested through gunicorn started as the Procfile starts it (its
access log) and through werkzeug's server (`voicecast run`'s request log), and any `token=` or
`sig=` value or URL password in our own log lines, text or JSON."""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.token_pages import TokenPages, make_token_pages
from voicecast.observability.logs import JsonFormatter
from voicecast.observability.redaction import REDACTED, redact

pytest_plugins = ["tests.dashboard_world", "tests.browser_fixtures"]  # shop, live_server

ROOT = Path(__file__).parent.parent


@pytest.fixture
def token_pages(app, client, shop) -> TokenPages:
    return make_token_pages(app, client, shop)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def procfile_web(port: int) -> list[str]:
    """The Procfile's `web` command, on loopback, one worker, run by this interpreter."""
    line = next(
        line.split(":", 1)[1] for line in (ROOT / "Procfile").read_text().splitlines()
        if line.startswith("web:")
    )  # fmt: skip
    values = {"PORT": str(port), "WEB_CONCURRENCY": "1", "WEB_THREADS": "2",
              "FORWARDED_ALLOW_IPS": "127.0.0.1"}  # fmt: skip
    argv = shlex.split(re.sub(r"\$\{(\w+):-[^}]*\}", lambda m: values[m[1]], line))
    assert argv[0] == "gunicorn"
    loopback = [arg.replace("0.0.0.0", "127.0.0.1") for arg in argv[1:]]
    return [sys.executable, "-m", "gunicorn", *loopback]


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn never answered:\n{log.read_text()}")


def test_gunicorn_s_access_log_holds_no_token(app, token_pages, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            procfile_web(port), cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
            env={**os.environ, "PUBLIC_BASE_URL": app.config["PUBLIC_BASE_URL"]},
        )  # fmt: skip
    try:
        wait_until_up(f"{base}/healthz", process, log)
        for path in token_pages.paths:
            assert get(base + path) == 200, path
        assert get(f"{base}{token_pages.voicemail_page}/audio?token=abc123secret") >= 400
        assert get(f"{base}/healthz?sig=abc123secret&next=1") == 200
    finally:
        process.terminate()
        process.wait(timeout=15)
    written = log.read_text()
    assert f'"GET /r/{REDACTED} HTTP/1.1" 200' in written, written
    assert f'"GET /recordings/{REDACTED}.wav HTTP/1.1" 200' in written, written
    assert f"/healthz?sig={REDACTED}&next=1" in written, written
    for secret in (*token_pages.secrets, "abc123secret"):
        assert secret not in written, f"{secret} in the access log:\n{written}"


def test_the_development_server_s_request_log_holds_no_token(live_server, token_pages, caplog):
    with caplog.at_level(logging.INFO):
        for path in token_pages.paths:
            assert get(live_server + path) == 200, path
        deadline = time.monotonic() + 5  # werkzeug logs after the response, in its thread
        while caplog.text.count(REDACTED) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert f"/voicemails/{REDACTED}" in caplog.text, caplog.text
    for secret in token_pages.secrets:
        assert secret not in caplog.text, caplog.text


def test_our_log_lines_hold_no_token_in_text_or_json(app, caplog):
    """In a process that built the app (a web or worker process)."""
    log = logging.getLogger("voicecast.somewhere")
    url = "https://hooks.example.com/in?token=s3cr3t&account=7"
    with caplog.at_level(logging.INFO):
        log.warning("outbound webhook to %s failed: %s", url, "timeout")
        log.info("redis at %s", "redis://default:hunter2@cache:6379/0")
    [webhook, redis] = caplog.records
    assert webhook.getMessage() == (
        f"outbound webhook to https://hooks.example.com/in?token={REDACTED}&account=7 failed: "
        "timeout"
    )
    assert json.loads(JsonFormatter().format(webhook))["message"] == webhook.getMessage()
    assert redis.getMessage() == f"redis at redis://default:{REDACTED}@cache:6379/0"
    assert "s3cr3t" not in caplog.text and "hunter2" not in caplog.text
    caplog.clear()
    try:
        raise ValueError("no such link: /r/Ab_c-12345678901234567890")
    except ValueError:
        log.exception("unhandled error on %s %s", "GET", "/r/Ab_c-12345678901234567890")
    [error] = caplog.records
    assert "Ab_c-12345678901234567890" not in caplog.text, caplog.text
    assert f"ValueError: no such link: /r/{REDACTED}" in caplog.text
    entry = json.loads(JsonFormatter().format(error))
    assert entry["message"] == f"unhandled error on GET /r/{REDACTED}"
    assert "Ab_c-" not in entry["exception"] and "ValueError" in entry["exception"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('"GET /r/Ab_c-12345678901234567890 HTTP/1.1" 200', f'"GET /r/{REDACTED} HTTP/1.1" 200'),
        ("GET /r/Abc123/recordings/5", f"GET /r/{REDACTED}/recordings/5"),
        ("POST /r/Abc123/recordings", f"POST /r/{REDACTED}/recordings"),
        ("GET /voicemails/12.AbCdEfGh_-12ab/audio", f"GET /voicemails/{REDACTED}/audio"),
        (
            "https://v.example.com/voicemails/12.AbCd",
            f"https://v.example.com/voicemails/{REDACTED}",
        ),
        ("GET /recordings/7-0a1b2c3d.wav", f"GET /recordings/{REDACTED}.wav"),
        ("GET /recordings/7-0a1b2c3d.mp3?x=1", f"GET /recordings/{REDACTED}.mp3?x=1"),
        ("GET /api/v1/recordings/5 HTTP/1.1", "GET /api/v1/recordings/5 HTTP/1.1"),
        ("GET /api/v1/sellers/3/recording-links", "GET /api/v1/sellers/3/recording-links"),
        ("GET /x?Signature=abc&a=1", f"GET /x?Signature={REDACTED}&a=1"),
        ("GET /x?a=1&access_token=abc", f"GET /x?a=1&access_token={REDACTED}"),
        ("GET /twilio/attempts/5/status HTTP/1.1", "GET /twilio/attempts/5/status HTTP/1.1"),
        ("user@example.com logged in", "user@example.com logged in"),
    ],
)
def test_redact(line, expected):
    assert redact(line) == expected
