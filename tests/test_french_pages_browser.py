"""Issue 17's acceptance in a real headless Chromium: a French account's campaign, sellers,
contacts and contact pages read the French way. No code of ours (the statuses, states,
outcomes, reasons and sources the models and the dashboard know, gathered from the code) shows
as a word; amounts are written `0,05 €`; times are the account's (Paris), with the zone named,
on a clock set where the UTC date is not the Paris date; numbers in national form; the seller's
name, not their id; percentages `100 %`. Checked as the server writes the page and again after
its script redraws it."""

from __future__ import annotations

import enum
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.browser import logged_in_page, screenshot
from tests.callback_world import (
    add_campaign,
    add_contact,
    add_number,
    incoming,
    open_shop,
    record_drop,
    running_with_a_retry,
    signed_post,
)
from tests.test_web_login import PASSWORD

pytest_plugins = ["tests.browser_fixtures"]
SHARED, JEANNE, PAUL = "+33159000000", "+33612345678", "+33612345679"
# 23:34 on 5 December in UTC is 00:34 on 6 December in Paris.
NOW = datetime(2026, 12, 5, 23, 34, tzinfo=UTC)


def service_codes() -> set[str]:
    """Every code the service writes in its data: the values of the models' enums, the
    callback routes, and the codes the dashboard has words for (waiting and skipped reasons,
    opt-out sources...)."""
    from voicecast import models
    from voicecast.callbacks.routing import Route
    from voicecast.dashboard import wording
    from voicecast.delivery.calls import MACHINE

    codes = {
        member.value
        for value in vars(models).values()
        if isinstance(value, type) and issubclass(value, enum.Enum)
        for member in value
        if isinstance(member.value, str)
    }
    codes |= {value for name, value in vars(Route).items() if name.isupper()} | MACHINE
    # Not the buttons' actions nor the days' keys: "pause" and "mon" are French words too.
    for name, group in vars(wording).items():
        if name.isupper() and isinstance(group, dict) and name not in ("DONE", "DAYS"):
            codes |= set(group)
    return codes


def english_codes_in(text: str, codes: set[str]) -> set[str]:
    words = set(re.findall(r"[\w-]+", text))
    return {code for code in codes if code in words}


@pytest.fixture
def french_shop(app, runner, client, live_server, set_clock):
    """A French account at NOW: a running campaign launched now whose message reached Jeanne
    (Marie's contact), who called back and opted out; Paul waits for a retry (on Monday: the
    campaign's window opens at 10:00); one
    call was priced by the carrier in USD, converted at a configured rate."""
    set_clock(NOW)
    app.config["PRICE_EXCHANGE_RATES"] = {"USD": 0.86}
    shop = open_shop(app, runner, client, {"Marie": "+33611000001"})
    marie = shop.sellers["Marie"]["id"]
    add_number(client, shop, SHARED)
    add_contact(client, shop, JEANNE, first_name="Jeanne", last_name="Petit", seller_id=marie)
    add_contact(client, shop, PAUL, first_name="Paul", last_name="Martin", seller_id=marie)
    campaign = add_campaign(client, shop, "Entretien 2 ans")
    record_drop(app, shop, campaign, JEANNE, "Marie", NOW - timedelta(minutes=30))
    incoming(client, app, JEANNE, SHARED)
    running_with_a_retry(app, shop, campaign, PAUL, "Marie", "Europe/Paris", NOW, (0.1350, "USD"))
    with app.app_context():
        from voicecast.extensions import db
        from voicecast.models import InboundCall

        call_id = db.session.query(InboundCall.id).scalar()
    signed_post(client, app, f"/twilio/callbacks/{call_id}/menu",
                {"CallSid": "CA" + "1" * 32, "Digits": "9"})  # fmt: skip
    result = runner.invoke(
        args=["user", "set-password", "chef@dupont.example"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    return campaign


def assert_french(text: str, codes: set[str], where: str) -> None:
    assert not english_codes_in(text, codes), f"{where}: {english_codes_in(text, codes)}"
    assert "UTC" not in text and "+33" not in text, where
    assert not re.search(r"\d\.\d", text), f"{where}: a decimal point"
    assert not re.search(r"\b(EUR|USD)\b|\$", text), f"{where}: a currency code"


def test_a_french_account_s_pages_read_the_french_way(app, live_server, browser, french_shop):
    codes = service_codes()
    assert {"voicemail_left", "machine_end_beep", "ready", "no_legal_basis", "callback"} <= codes
    page = logged_in_page(browser, live_server, "chef@dupont.example", PASSWORD)

    page.goto(f"/campaigns/{french_shop}")
    text = page.locator("main").inner_text()
    assert "Lancée le 06/12/2026 à 00:34 (heure de Paris)" in text
    assert "05/12/2026" not in text
    # Paul's retry, an hour later: in Paris time, with the zone named.
    assert "jusqu'au 07/12/2026 à 10:00 (heure de Paris)" in text  # Monday, 09:00 UTC
    # 0.135 USD at 0.86, with the estimate of nothing else: one amount, in euros.
    assert page.locator("[data-field=cost]").inner_text() == "0,12\u00a0€"
    # Jeanne called back only to opt out: an opt-out, not a callback.
    assert page.locator("[data-field=callback-rate]").inner_text() == "0\u202f%"
    assert "1 appel au prix de Twilio" in text  # not "1 appels"
    assert_french(text, codes, "campaign page")
    with page.expect_response(lambda response: "figures.json" in response.url):
        pass  # the page's script reads its figures again, and redraws them
    page.wait_for_timeout(300)
    assert_french(page.locator("main").inner_text(), codes, "campaign page, redrawn")
    assert page.locator("[data-field=cost]").inner_text() == "0,12\u00a0€"
    screenshot(page, "campaign-french")

    page.goto("/contacts")
    text = page.locator("main").inner_text()
    jeanne = page.get_by_test_id("contact-row").filter(has_text="Jeanne Petit").inner_text()
    assert "06 12 34 56 78" in jeanne and "Marie" in jeanne
    assert_french(text, codes, "contacts page")

    page.get_by_role("link", name="Jeanne Petit").click()
    text = page.locator("main").inner_text()
    assert "06 12 34 56 78" in text and "Vendeur : Marie" in text
    assert "Sur la liste d'opposition depuis le 06/12/2026" in text
    assert "demandé par le client en rappelant" in text
    assert "A tapé 9 en rappelant le 01 59 00 00 00" in text
    assert "06/12/2026 à 00:34" in page.get_by_test_id("callback-row").inner_text()
    assert_french(text, codes, "contact page")

    page.goto("/sellers")
    assert_french(page.locator("main").inner_text(), codes, "sellers page")
    page.context.close()
