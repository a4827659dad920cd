"""What the tests that drive a real headless Chromium share: the browser binary and flags,
screen sizes, screenshots. The fixtures are in tests/browser_fixtures.py (a test module lists it
in `pytest_plugins`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright import sync_api as playwright_api

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def screenshot(page: playwright_api.Page, name: str) -> Path:
    """A full-page screenshot in tests/screenshots/ (gitignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def logged_in_page(
    browser: playwright_api.Browser,
    base_url: str,
    email: str,
    password: str,
    timezone_id: str | None = None,
) -> playwright_api.Page:
    """A new desktop-sized page of `base_url` on which the manager `email` has logged in
    through the login form, as a person would (in French); the browser in `timezone_id`'s
    time when given."""
    context = browser.new_context(base_url=base_url, viewport=DESKTOP, timezone_id=timezone_id)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/")
    return page
