"""The login page in a real headless Chromium, against the app served on loopback."""

from __future__ import annotations

from tests.browser import PHONE, screenshot
from tests.helpers import create_tenant

pytest_plugins = ["tests.browser_fixtures"]  # live_server, browser, page

PASSWORD = "correct horse battery"


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
    page.set_viewport_size(PHONE)
    screenshot(page, "home-phone")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    assert page.get_by_role("alert").inner_text() == "You are logged out."
