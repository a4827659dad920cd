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

from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

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
