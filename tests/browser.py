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
