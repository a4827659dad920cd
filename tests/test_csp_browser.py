"""Issue 18's acceptance in a real headless Chromium: every page (login, home, campaigns, a
campaign, sellers, contacts, a contact, the API docs, the seller's recording page, the voicemail
page) arrives with our Content-Security-Policy and breaks none of it, and still works under it:
the campaign's chart is drawn by its script, the recording page records from the (fake)
microphone and plays the take back from a blob: URL.

Violations are caught twice: the `securitypolicyviolation` event of every document (reported to
the test through a binding, which the policy cannot block) and Chromium's console messages
("Refused to ..."). A negative control at the end has the browser insert an inline script and
an inline style into a page: both must be refused and reported.
"""

from __future__ import annotations

import io
import ssl
import subprocess
import threading
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Page, expect
from werkzeug.serving import make_server

from tests.browser import CHROMIUM_ARGS, DESKTOP
from tests.test_web_login import PASSWORD
from tests.token_pages import make_token_pages

pytest_plugins = ["tests.browser_fixtures", "tests.dashboard_world"]  # live_server, browser, shop

API = "/api/v1"
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolation({
    page: document.location.pathname, directive: event.effectiveDirective,
    blocked: event.blockedURI, sample: event.sample, line: event.lineNumber,
  });
});
"""


@pytest.fixture
def chromium_args() -> list[str]:
    """A fake microphone (a beep), already allowed, for the recording page."""
    return [*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


class ViolationLog:
    """What the browser reported breaking the policy, in every page of a context."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.console: list[str] = []

    def watch(self, context: BrowserContext) -> None:
        context.expose_binding("cspViolation", lambda _source, report: self.events.append(report))
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("console", self.on_console)

    def on_console(self, message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith("Refused to"):
            self.console.append(text)

    def all(self) -> list[str]:
        return [str(event) for event in self.events] + self.console


def visit(page: Page, path: str, strict: bool = True) -> str:
    """Open `path` and wait until its scripts ran and its requests settled; its policy (our
    strict one unless told otherwise)."""
    response = page.goto(path, wait_until="networkidle")
    assert response is not None and response.status == 200, (path, response and response.status)
    policy = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy, f"{path}: policy {policy!r}"
    if strict:
        assert "script-src 'self';" in policy and "unsafe" not in policy, f"{path}: {policy!r}"
    return policy


def test_every_page_passes_the_content_security_policy(
    app, client, runner, shop, live_server, browser
):
    token_pages = make_token_pages(app, client, shop)
    granted = runner.invoke(args=["operators", "grant", "chef@dupont.example"])
    assert granted.exit_code == 0, granted.output
    contact_id = client.get(f"{API}/contacts", headers=shop.admin.headers).json["items"][0]["id"]
    violations = ViolationLog()
    context = browser.new_context(base_url=live_server, viewport=DESKTOP)
    violations.watch(context)

    page = context.new_page()
    visit(page, "/login")
    page.get_by_label("Adresse e-mail").fill("chef@dupont.example")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/")
    visit(page, "/")
    for path in ("/campaigns", "/sellers", "/contacts", f"/contacts/{contact_id}", f"{API}/docs"):
        visit(page, path)

    visit(page, f"/campaigns/{shop.campaign_id}")
    chart = page.locator("[data-chart] svg[data-buckets]")
    expect(chart).to_have_count(1)  # drawn by dashboard.js
    assert page.locator("[data-chart] svg rect").count() >= 1

    visit(page, token_pages.voicemail_page)
    expect(page.get_by_test_id("voicemail")).to_be_visible()
    visit(page, token_pages.call_back_page)
    expect(page.get_by_test_id("call-back-page")).to_be_visible()

    visit(page, token_pages.recording_page)
    expect(page.locator("#no-recorder")).to_be_hidden()  # studio.js ran and can record
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    stop = page.get_by_role("button", name="Arrêter")
    expect(stop).to_be_visible()
    page.wait_for_timeout(1500)
    stop.click()
    take = page.locator("#take-audio")
    expect(take).to_be_visible()
    assert take.get_attribute("src").startswith("blob:")  # played back under media-src
    page.wait_for_timeout(300)  # the take's media element loads its blob

    # RQ's dashboard, the operators' (third-party: a policy of its own, as strict otherwise):
    # its script renders the queues' rows from its templates.
    policy = visit(page, "/admin/rq/", strict=False)
    assert "'nonce-" in policy and "script-src 'self' 'nonce-" in policy, policy
    expect(page.locator('#queues [data-role="loading-placeholder"]')).to_have_count(0)
    expect(page.locator("#queues tbody tr")).not_to_have_count(0)

    assert not violations.all(), violations.all()

    # Negative control: inline code inserted into a page is refused and reported.
    visit(page, "/campaigns")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.inlineRan = true;";
          document.head.append(script);
          document.querySelector("h1").setAttribute("style", "color: red");
        }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.inlineRan") is None
    directives = {event["directive"] for event in violations.events}
    assert {"script-src-elem", "style-src-attr"} <= directives, violations.all()
    context.close()


@pytest.fixture
def tls_server(app: Flask, tmp_path: Path) -> Iterator[str]:
    """The app served over HTTPS on loopback (a self-signed certificate), as in production,
    where Flask-WTF's CSRF check also wants a same-origin Referer on every POST."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"https://127.0.0.1:{server.server_port}"
    app.config.update(PUBLIC_BASE_URL=base_url, SESSION_COOKIE_SECURE=True)
    yield base_url
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


def tone_wav(seconds: float = 6.0) -> bytes:
    """A 440 Hz tone, 8 kHz mono 16-bit: a file a seller could pick."""
    import math

    frames = b"".join(
        int(8000 * math.sin(2 * math.pi * 440 * n / 8000)).to_bytes(2, "little", signed=True)
        for n in range(int(8000 * seconds))
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(8000)
        file.writeframes(frames)
    return out.getvalue()


def test_the_recording_page_sends_over_https_without_telling_its_token(
    app, client, shop, tls_server, browser, tmp_path
):
    """The page sends no Referer (its URL is its key), yet its upload must pass the CSRF check,
    which over HTTPS refuses a POST without a same-origin Referer: the upload names our origin
    alone, never the page's path."""
    assert app.config["WTF_CSRF_ENABLED"] is not False
    token_pages = make_token_pages(app, client, shop)
    context = browser.new_context(base_url=tls_server, ignore_https_errors=True)
    page = context.new_page()
    response = page.goto(token_pages.recording_page)
    assert response.headers["referrer-policy"] == "no-referrer"
    sound = tmp_path / "message.wav"
    sound.write_bytes(tone_wav())
    page.locator("#file").set_input_files(str(sound))
    with page.expect_response(lambda r: r.request.method == "POST") as upload:
        page.get_by_role("button", name="Envoyer le fichier").click()
    sent = upload.value
    assert sent.status == 202, sent.text()
    referer = sent.request.headers.get("referer", "")
    assert referer == tls_server + "/", referer
    assert urlsplit(token_pages.recording_page).path.rsplit("/", 1)[1] not in referer
    context.close()
