"""A US dealer reads English pages without asking, times the US way with their zone's label,
and cannot present a number of another country. Issue 22, point 7 (in part)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.helpers import create_tenant
from tests.test_web_login import PASSWORD, log_in
from voicecast.i18n import local_time, money
from voicecast.phones import for_people

EVENING = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 8 PM on 6 December in Chicago


def test_us_formats():
    assert local_time(EVENING, "America/Chicago", "datetime", "en-US") == "12/06/2026 8:00 PM CST"
    assert local_time(EVENING, "America/Chicago", "date", "en-US") == "12/06/2026"
    assert local_time(EVENING, "America/Los_Angeles", "time", "en-US") == "6:00 PM PST"
    assert money(0.14, "USD", "en") == "$0.14"
    assert for_people("+12135550143") == "(213) 555-0143"
    # French and British English stay as they were.
    assert local_time(EVENING, "Europe/Paris", "datetime", "fr") == "07/12/2026 à 03:00"


def signed_in(app, runner, client, country: str):
    email = f"boss@{country.lower()}.example"
    create_tenant(runner, client, "Dealer", email, country=country)
    runner.invoke(args=["user", "set-password", email], input=f"{PASSWORD}\n{PASSWORD}\n")
    browser = app.test_client()
    assert log_in(browser, email, PASSWORD).status_code == 302
    return browser


def test_a_us_account_s_pages_are_in_english_unless_asked_otherwise(app, runner, client):
    us = signed_in(app, runner, client, "US")
    page = us.get("/campaigns")
    assert page.status_code == 200
    assert 'lang="en"' in page.text and "Campagnes" not in page.text
    assert 'lang="fr"' in us.get("/campaigns?lang=fr").text  # a choice is kept
    assert 'lang="fr"' in us.get("/campaigns").text
    french = signed_in(app, runner, client, "FR")
    assert 'lang="fr"' in french.get("/campaigns").text


def test_a_caller_id_must_be_a_number_of_the_account_s_country(runner, client):
    us = create_tenant(runner, client, "Lone Star Motors", "gm@lonestar.example", country="US")
    french = runner.invoke(args=["account", "set-caller-id", str(us.account_id), "+33159000000"])
    assert french.exit_code != 0
    assert "+33159000000 is not a US number (FR)" in french.output
    assert (
        runner.invoke(
            args=["account", "set-caller-id", str(us.account_id), "(213) 555-0143"]
        ).exit_code
        == 0
    )
    fr = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    american = runner.invoke(args=["account", "set-caller-id", str(fr.account_id), "+12135550143"])
    assert american.exit_code != 0 and "is not a FR number (US)" in american.output
    reunion = runner.invoke(args=["account", "set-caller-id", str(fr.account_id), "+262262123456"])
    assert reunion.exit_code == 0, reunion.output


def test_an_admin_sets_the_account_s_time_zone(runner, client):
    us = create_tenant(runner, client, "Lone Star Motors", "gm@lonestar.example", country="US")
    url = "/api/v1/account"
    changed = client.patch(url, headers=us.headers, json={"timezone": "America/Chicago"})
    assert changed.status_code == 200, changed.json
    me = client.get("/api/v1/me", headers=us.headers).json
    assert me["account"]["timezone"] == "America/Chicago"
    for wrong in ("Central", None, "America/Nowhere"):
        refused = client.patch(url, headers=us.headers, json={"timezone": wrong})
        assert refused.status_code == 422, wrong
        assert refused.json["error"]["details"][0]["field"] == "body.timezone"
    assert client.get("/api/v1/me", headers=us.headers).json["account"]["timezone"] == (
        "America/Chicago"
    )
