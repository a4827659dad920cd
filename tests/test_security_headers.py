"""Security headers on every response: a strict Content-Security-Policy (our own origin only, no
inline code allowed), no framing, no MIME sniffing; pages whose URL is a secret token send no
Referer anywhere. The templates hold no inline script, style or event handler for the policy
to block (the browser's own verdict is in tests/test_csp_browser.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.callback_world import TOKEN
from tests.token_pages import TokenPages, make_token_pages
from voicecast.web.headers import content_security_policy

pytest_plugins = ["tests.dashboard_world"]  # shop: a manager logged in on `client`

TEMPLATES = Path(__file__).parent.parent / "voicecast" / "templates"
API = "/api/v1"


@pytest.fixture
def token_pages(app, client, shop) -> TokenPages:
    return make_token_pages(app, client, shop)


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_protected(response, where: str, referrer: str = "strict-origin-when-cross-origin"):
    headers = response.headers
    policy = headers.get("Content-Security-Policy")
    assert policy, f"{where}: no Content-Security-Policy"
    rules = directives(policy)
    assert rules["frame-ancestors"] == ["'none'"], where
    assert rules["object-src"] == ["'none'"] and rules["base-uri"] == ["'none'"], where
    for name in ("default-src", "script-src", "style-src"):
        assert rules[name] == ["'self'"], f"{where}: {name} {rules.get(name)}"
    assert "unsafe" not in policy, where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == referrer, where


def test_every_page_of_a_logged_in_manager_carries_the_headers(client, shop):
    contact_id = client.get(f"{API}/contacts", headers=shop.admin.headers).json["items"][0]["id"]
    for path in (
        "/",
        "/campaigns",
        f"/campaigns/{shop.campaign_id}",
        f"/campaigns/{shop.campaign_id}/figures.json",
        "/sellers",
        "/contacts",
        f"/contacts/{contact_id}",
        f"{API}/docs",
        "/static/dashboard.js",
        "/static/style.css",
        "/no-such-page",
    ):
        response = client.get(path)
        response.close()  # a static file's
        assert response.status_code in (200, 404), (path, response.status_code)
        assert_protected(response, path)


def test_the_login_page_and_a_redirect_carry_the_headers(client):
    assert_protected(client.get("/login"), "/login")
    assert_protected(client.get("/campaigns"), "redirect to /login")


def test_api_responses_carry_the_headers(client, shop):
    for method, path, headers in (
        ("GET", f"{API}/me", shop.admin.headers),
        ("GET", f"{API}/campaigns", shop.admin.headers),
        ("GET", f"{API}/openapi.json", {}),
        ("GET", f"{API}/campaigns", {}),  # 401
        ("GET", f"{API}/campaigns/999999", shop.admin.headers),  # 404
        ("POST", f"{API}/contacts", shop.admin.headers),  # 400: no body
        ("GET", "/healthz", {}),
    ):
        response = client.open(path, method=method, headers=headers)
        assert_protected(response, f"{method} {path} ({response.status_code})")


def test_token_pages_send_no_referrer(client, token_pages):
    for path in token_pages.paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert_protected(response, path, referrer="no-referrer")
    # The voicemail's audio (its carrier is unreachable here: the answer is an error page).
    audio = client.get(f"{token_pages.voicemail_page}/audio")
    assert_protected(audio, "voicemail audio", referrer="no-referrer")
    # A forged or expired token: the error page is no-referrer too.
    for path in ("/r/not-a-real-token-at-all", "/voicemails/1.AAAAAAAAAAAAAAAA"):
        response = client.get(path)
        assert response.status_code == 404
        assert_protected(response, path, referrer="no-referrer")


def test_the_twilio_fast_path_answers_with_nosniff_and_no_framing(app, client, shop):
    """The attempt webhooks are answered before Flask: their TwiML gets the headers too."""
    app.config["TWILIO_AUTH_TOKEN"] = TOKEN
    response = client.post("/twilio/attempts/999999/status", data={"CallStatus": "completed"})
    assert response.status_code == 403  # unsigned: refused by the fast path itself
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_the_policy_allows_media_from_the_public_address():
    """Signed recording URLs are written with PUBLIC_BASE_URL, which a proxy may serve under
    another name than the page's."""
    rules = directives(content_security_policy("https://voicecast.example.com/base"))
    assert rules["media-src"] == ["'self'", "blob:", "https://voicecast.example.com"]
    assert directives(content_security_policy(None))["media-src"] == ["'self'", "blob:"]


INLINE_CODE = re.compile(
    r"""<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:|"""
    r"""<script\b(?![^>]*\bsrc=)(?![^>]*type="application/json")""",
    re.IGNORECASE,
)


def test_templates_hold_no_inline_script_style_or_handler():
    """What the policy would block: an inline <script> (a JSON data block never runs, and is
    allowed), a <style> element, a style="" attribute, an onclick=... handler, a javascript:
    URL."""
    found = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)!r}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for match in INLINE_CODE.finditer(path.read_text())
    ]
    assert not found, found
