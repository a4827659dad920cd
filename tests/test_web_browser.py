"""The login page in a real headless Chromium, against the app served on loopback."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright import sync_api as playwright_api
from werkzeug.serving import make_server

from tests.helpers import create_tenant

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
PASSWORD = "correct horse battery"
SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture
def live_server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture
def page(live_server):
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server)
        yield context.new_page()
        context.close()
        browser.close()


def test_manager_logs_in_with_a_real_browser(page, runner, client, database_url):
    create_tenant(runner, client, "Garage Dupont", "chef@dupont.fr")
    result = runner.invoke(
        args=["user", "set-password", "chef@dupont.fr"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output

    page.goto("/")
    assert page.url.endswith("/login?next=%2F")
    page.get_by_label("Adresse e-mail").fill("chef@dupont.fr")
    page.get_by_label("Mot de passe").fill("wrong password")
    page.get_by_role("button", name="Se connecter").click()
    assert page.get_by_role("alert").inner_text() == "E-mail ou mot de passe incorrect."

    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/")
    assert page.get_by_role("heading", level=1).inner_text() == "Garage Dupont"

    page.get_by_role("link", name="EN", exact=True).click()
    assert page.get_by_role("heading", name="Sellers").is_visible()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SCREENSHOTS / "home-phone.png"), full_page=True)

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    assert page.get_by_role("alert").inner_text() == "You are logged out."
