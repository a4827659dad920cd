"""What a French account's people read, unit by unit: amounts, percentages, times in the
account's zone, phone numbers, costs kept in one currency, and the missed-callback text
message in one GSM-7 segment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.callback_world import (
    add_campaign,
    add_contact,
    add_number,
    incoming,
    open_shop,
    record_drop,
)
from voicecast.callbacks import sms
from voicecast.callbacks.wording import caller_name, texts_for
from voicecast.config import ConfigError, parse_rates
from voicecast.delivery.pricing import amounts_by_currency
from voicecast.i18n import local_time, money, number, percent, zone_name
from voicecast.models.base import utcnow
from voicecast.phones import for_people

NBSP, NNBSP = "\u00a0", "\u202f"
# 23:34 on 5 December in UTC is 00:34 on 6 December in Paris (and 10:34 in Réunion).
LATE = datetime(2026, 12, 5, 23, 34, tzinfo=UTC)


@pytest.mark.parametrize(
    ("amount", "currency", "fr", "en"),
    [
        (0.25, "EUR", f"0,25{NBSP}€", "€0.25"),
        (1234.5, "EUR", f"1{NNBSP}234,50{NBSP}€", "€1,234.50"),
        (0.07, "USD", f"0,07{NBSP}$US", "$0.07"),
        (-3, "EUR", f"-3,00{NBSP}€", "-€3.00"),
        (2, "XYZ", f"2,00{NBSP}XYZ", "XYZ 2.00"),
    ],
)
def test_amounts_are_written_as_each_language_writes_them(amount, currency, fr, en):
    assert money(amount, currency, "fr") == fr
    assert money(amount, currency, "en") == en


@pytest.mark.parametrize(
    ("ratio", "fr", "en"),
    [(0, f"0{NNBSP}%", "0%"), (0.3, f"30{NNBSP}%", "30%"), (0.125, f"12,5{NNBSP}%", "12.5%"),
     (1, f"100{NNBSP}%", "100%"), (1 / 3, f"33,3{NNBSP}%", "33.3%")],
)  # fmt: skip
def test_percentages_have_one_form_whatever_the_value(ratio, fr, en):
    """Not "0 %", "0.0 %" and "30.0 %" side by side: at most one decimal, none when round."""
    assert percent(ratio, "fr") == fr
    assert percent(ratio, "en") == en


def test_numbers_group_thousands_the_french_way():
    assert number(1234567, 0, "fr") == f"1{NNBSP}234{NNBSP}567"
    assert number(0.5, 1, "fr") == "0,5"


def test_times_are_the_account_s_zone_s_with_the_zone_named():
    assert local_time(LATE, "Europe/Paris", locale="fr") == "06/12/2026 à 00:34"
    assert local_time(LATE.isoformat(), "Europe/Paris", "clock", "fr") == "00:34:00"
    assert local_time(LATE, "Indian/Reunion", "date", "fr") == "06/12/2026"
    assert local_time(LATE, "Europe/Paris", "short", "fr") == "06/12 à 00:34"
    assert zone_name("Europe/Paris", "fr") == "heure de Paris"
    assert zone_name("America/Chicago", "en") == "Chicago time"


def test_numbers_are_written_nationally_for_the_account_s_country():
    assert for_people("+33612345671", "FR") == "06 12 34 56 71"
    assert for_people("+32470123456", "FR") == "+32 470 12 34 56"  # not a French number
    assert for_people("+12025550123", "US") == "(202) 555-0123"
    assert for_people("+33612345671") == "06 12 34 56 71"
    assert for_people("anonymous", "FR") == "anonymous"
    # The seller's whisper names a caller the file gave no name by their number, nationally
    # (the README walkthrough's customers now have names, so it no longer shows this).
    whisper = texts_for("FR")["whisper"].format(
        caller=caller_name(None, None, "+33612345610", "FR"), campaign=", campagne Entretien"
    )
    assert (
        whisper
        == "Rappel de 06 12 34 56 10, campagne Entretien. Appuyez sur 1 pour prendre l'appel."
    )


def test_costs_in_two_currencies_are_converted_or_kept_apart():
    priced = [("EUR", 0.50), ("USD", 0.07), ("USD", 0.03)]
    assert amounts_by_currency(priced, "EUR", {}) == {"EUR": 0.5, "USD": 0.1}
    assert amounts_by_currency(priced, "EUR", {"USD": 0.9}) == {"EUR": 0.59}


def test_exchange_rates_are_read_from_the_setting():
    assert parse_rates({"PRICE_EXCHANGE_RATES": "usd=0.86, GBP=1.17"}, "PRICE_EXCHANGE_RATES") == {
        "USD": 0.86, "GBP": 1.17}  # fmt: skip
    assert parse_rates({}, "PRICE_EXCHANGE_RATES") == {}
    for wrong in ("USD", "USD=abc", "USD=-1", "DOLLAR=1"):
        with pytest.raises(ConfigError, match=r"USD=0\.86"):
            parse_rates({"PRICE_EXCHANGE_RATES": wrong}, "PRICE_EXCHANGE_RATES")


def test_sms_lengths_count_as_the_network_counts_them():
    assert (sms.encoding("é à ù ç"), sms.encoding("é à ù"), sms.encoding("€")) == (
        "ucs2", "gsm7", "gsm7")  # fmt: skip
    assert sms.length("10 €") == 5  # the euro sign is an extension character: two septets
    assert sms.segments("a" * 160) == 1 and sms.segments("a" * 161) == 2
    assert sms.segments("a" * 306) == 2 and sms.segments("a" * 307) == 3
    assert sms.segments("ç" * 70) == 1 and sms.segments("ç" * 71) == 2
    assert sms.to_gsm7("Françoise l\u2019a rappelé… «vite»") == 'Francoise l\'a rappelé... "vite"'


def test_the_richest_wording_that_fits_one_segment_is_sent():
    long, short = "x" * 170, "y" * 100
    assert sms.fitting([long, short]) == short
    assert sms.fitting(["z" * 150, short]) == "z" * 150
    assert sms.fitting([long, "w" * 165]) == long  # none fits: the one that says all


def test_a_missed_callback_s_text_fits_one_gsm7_segment(app, runner, client):
    """Names and a campaign with letters GSM-7 lacks, a long campaign name, a real domain:
    still one segment, in GSM-7, with the number in national form and the link."""
    from voicecast.callbacks.notify import notification_text
    from voicecast.extensions import db
    from voicecast.models import Campaign, InboundCall

    shop = open_shop(app, runner, client, {"Marie": "+33611000001"})
    add_number(client, shop, "+33159000000")
    add_contact(client, shop, "+33612345678", first_name="Françoise", last_name="Lefèvre-Bâton")
    campaign = add_campaign(client, shop, "Révision des 2 ans, pneus et contrôle technique")
    record_drop(app, shop, campaign, "+33612345678", "Marie", utcnow() - timedelta(days=1))
    incoming(client, app, "+33612345678", "+33159000000")
    app.config["PUBLIC_BASE_URL"] = "https://voicecast.garage-dupont.fr"
    with app.app_context():
        call = db.session.query(InboundCall).one()
        call.recording_url, call.recording_seconds = "https://carrier/RE1", 23
        call.campaign_id = campaign  # set-up: the drop this callback answers
        db.session.commit()
        text = notification_text(call)
    assert (sms.encoding(text), sms.segments(text)) == ("gsm7", 1), (len(text), text)
    assert "06 12 34 56 78" in text and "+33" not in text
    assert "https://voicecast.garage-dupont.fr/cb/" in text  # the seller's call-back link
    assert "Message (23 s). Rappeler : " in text
    # The campaign (on the page behind the link) made way for the caller's name.
    assert "Francoise Lefèvre-Baton (06 12 34 56 78)" in text and "pneus" not in text
    app.config["PUBLIC_BASE_URL"] = "https://vc.fr"
    with app.app_context():  # a shorter name and address: all of it fits, in GSM-7
        db.session.get(Campaign, campaign).name = "Contrôle"
        db.session.commit()
        text = notification_text(db.session.query(InboundCall).one())
    assert "Francoise Lefèvre-Baton (06 12 34 56 78), campagne Controle, " in text
    assert sms.segments(text) == 1


def test_an_export_s_cost_is_in_one_currency_or_each_apart(app):
    from voicecast.exports.csvstream import FLAVOURS, Cells, Language
    from voicecast.exports.deliveries import Calls
    from voicecast.models import Attempt

    cells = Cells(FLAVOURS["semicolon"], Language("fr", "Europe/Paris"))
    with app.app_context():
        app.config["PRICE_EXCHANGE_RATES"] = {}
        calls = Calls()
        calls.add(Attempt(number=1, price=0.10, price_unit="USD"))
        calls.add(Attempt(number=2, price=0.05, price_unit="EUR"))
        assert calls.cost(cells) == ("0,1 USD + 0,05 EUR", "")  # never added together
        app.config["PRICE_EXCHANGE_RATES"] = {"USD": 0.9}
        calls = Calls()
        calls.add(Attempt(number=1, price=0.10, price_unit="USD"))
        calls.add(Attempt(number=2, price=0.05, price_unit="EUR"))
        assert calls.cost(cells) == ("0,14", "EUR")


def test_a_french_account_s_preview_writes_its_costs_in_euros(app, runner, client):
    shop = open_shop(app, runner, client, {"Marie": "+33611000001"})
    campaign = add_campaign(client, shop, "Entretien")
    url = f"/api/v1/campaigns/{campaign}/preview"
    preview = client.get(url, headers=shop.admin.headers).json
    assert preview["estimated_cost_text"] == money(preview["estimated_cost"], "EUR", "fr")
    assert preview["max_cost_text"].endswith(f"{NBSP}€") and "," in preview["max_cost_text"]
