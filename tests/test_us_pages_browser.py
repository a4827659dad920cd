"""Issue 22's acceptance in a real headless Chromium: a US account's campaign, contacts and
contact pages read the US way, in English without asking: amounts `$0.14`, numbers
`(213) 555-0143`, dates `12/06/2026`, times `8:00 PM CST` in the account's zone with its label
(on a clock set where the UTC date is not Chicago's), and no French word. Checked as the server
writes the page and again after its script redraws it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.browser import logged_in_page, screenshot
from tests.callback_world import (
    add_campaign,
    add_contact,
    open_shop,
    record_drop,
    running_with_a_retry,
    signed_post,
)
from tests.test_web_login import PASSWORD

pytest_plugins = ["tests.browser_fixtures"]
ROSA, TED, LINE = "+12135550143", "+12135550144", "+12135550100"
# 02:00 on 7 December in UTC is 8:00 PM on 6 December in Chicago (CST).
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
# French words the pages would show were a text left untranslated (accents aside).
FRENCH_WORDS = {"Campagne", "Campagnes", "campagne", "Vendeur", "Vendeurs", "vendeur", "appel",
                "appels", "rappel", "rappels", "Rappels", "heure", "jusqu", "depuis", "Aucun",
                "Aucune", "Lancée", "Lancer", "Désinscriptions", "Contact", "Téléphone", "liste",
                "opposition", "Prêt", "Relance", "attente", "messagerie", "Répondeur", "le",
                "du", "des", "sur", "avec", "pour", "à", "au", "Paris"}  # fmt: skip
ACCENTED = re.compile(r"[éèêëàâçùûôîïœÉÈÀÇ«»€]")


@pytest.fixture
def us_shop(app, runner, client, live_server, set_clock):
    """A US account in Chicago at NOW: a running campaign launched now, whose message reached
    Rosa (Joe's contact), who pressed the opt-out key during it; Ted waits for a retry an hour
    later; Rosa's call was priced $0.14 by the carrier."""
    set_clock(NOW)
    app.config["PRICE_CURRENCY"] = "USD"
    shop = open_shop(app, runner, client, {"Joe": "+12135550199"}, country="US")
    zone = client.patch("/api/v1/account", headers=shop.admin.headers,
                        json={"timezone": "America/Chicago"})  # fmt: skip
    assert zone.status_code == 200, zone.json
    joe = shop.sellers["Joe"]["id"]
    add_contact(client, shop, ROSA, first_name="Rosa", last_name="Parks", seller_id=joe)
    add_contact(client, shop, TED, first_name="Ted", last_name="Lasso", seller_id=joe)
    campaign = add_campaign(client, shop, "Winter service")
    record_drop(app, shop, campaign, ROSA, "Joe", NOW - timedelta(minutes=30))
    sid = "CA" + "2" * 32
    attempt_id = running_with_a_retry(
        app, shop, campaign, TED, "Joe", "America/Chicago", NOW, (0.14, "USD"), sid
    )
    pressed = signed_post(client, app, f"/twilio/attempts/{attempt_id}/optout",
                          {"CallSid": sid, "Digits": "9"})  # fmt: skip
    assert pressed.status_code == 200, pressed.data
    result = runner.invoke(
        args=["user", "set-password", "chef@dupont.example"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    return campaign


def assert_us(text: str, where: str) -> None:
    french = set(re.findall(r"[\w']+", text)) & FRENCH_WORDS
    assert not french, f"{where}: French words {french}"
    assert not ACCENTED.search(text), f"{where}: {ACCENTED.findall(text)}"
    assert "UTC" not in text and "+1" not in text, where
    assert not re.search(r"\d,\d\d\b", text), f"{where}: a decimal comma"
    assert not re.search(r"\b(EUR|USD)\b", text), f"{where}: a currency code"
    assert not re.search(r"\b\d{1,2}:\d\d(?::\d\d)?(?![:\d])(?! ?[AP]M)", text), (
        f"{where}: a 24-hour time"
    )
    assert not re.search(r"(?<![\d:])0\d:\d\d [AP]M", text), f"{where}: 08:00 PM"


def test_a_us_account_s_pages_read_the_us_way(app, live_server, browser, us_shop):
    page = logged_in_page(browser, live_server, "chef@dupont.example", PASSWORD)

    page.goto(f"/campaigns/{us_shop}")
    assert page.locator("html").get_attribute("lang") == "en"
    text = page.locator("main").inner_text()
    assert "12/06/2026 8:00 PM CST" in text  # launched now, in Chicago
    assert "2:00 AM" not in text  # the UTC time
    # Ted's retry: when the campaign's window opens again, Monday 10 AM in Chicago.
    assert "until 12/07/2026 10:00 AM CST (Chicago time)" in text
    assert page.locator("[data-field=cost]").inner_text() == "$0.14"
    assert "Callback rate: 0%" in text  # no French space before the colon
    assert "Monday\n10:00 AM - 8:00 PM" in text  # the campaign's window, on a 12-hour clock
    assert_us(text, "campaign page")
    with page.expect_response(lambda response: "figures.json" in response.url):
        pass  # the page's script reads its figures again, and redraws them
    page.wait_for_timeout(300)
    assert_us(page.locator("main").inner_text(), "campaign page, redrawn")
    assert page.locator("[data-field=cost]").inner_text() == "$0.14"
    screenshot(page, "campaign-us")

    page.goto("/contacts")
    text = page.locator("main").inner_text()
    rosa = page.get_by_test_id("contact-row").filter(has_text="Rosa Parks").inner_text()
    assert "(213) 555-0143" in rosa and "Joe" in rosa
    assert_us(text, "contacts page")

    page.get_by_role("link", name="Rosa Parks").click()
    text = page.locator("main").inner_text()
    assert "(213) 555-0143 · Seller: Joe" in text
    assert "12/06/2026" in text and "asked by the customer during the message" in text
    assert "Pressed 9 during the message of campaign Winter service" in text
    assert_us(text, "contact page")
    page.context.close()
