"""Outcomes posted by the dealer's system (issue 21, point 4): each attributed to the last drop
or callback the contact had within the account's window, or kept apart with why; posting again
records nothing twice; campaigns and sellers report appointments, revenue and cost per
appointment, by API, on the pages (French and US ways) and in the export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from tests.callback_world import (
    add_campaign,
    add_contact,
    add_number,
    incoming,
    open_shop,
    record_drop,
)
from tests.helpers import assert_error, create_tenant, seller_key
from tests.test_web_login import PASSWORD, log_in

API = "/api/v1"
NOW = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)
SHARED = "+33159000000"
JEANNE, PIERRE, LUC, ZOE = "+33612345601", "+33612345602", "+33612345603", "+33612345604"


def iso(moment: datetime) -> str:
    return moment.isoformat()


@pytest.fixture
def shop(app, runner, client, set_clock):
    """Marie's and Paul's drops over the last weeks (NOW frozen), a shared line for callbacks."""
    set_clock(NOW)
    shop = open_shop(app, runner, client, {"Marie": "+33611000001", "Paul": "+33611000002"})
    add_number(client, shop, SHARED)
    shop.contacts = {
        name: add_contact(client, shop, phone, first_name=name, external_id=f"C-{name}")
        for name, phone in (("Jeanne", JEANNE), ("Pierre", PIERRE), ("Luc", LUC), ("Zoé", ZOE))
    }
    shop.campaigns = {name: add_campaign(client, shop, name) for name in ("Entretien", "Garantie")}
    return shop


def post(client, shop, **body):
    return client.post(f"{API}/outcomes", headers=shop.admin.headers, json=body)


def test_an_outcome_counts_for_the_last_drop_or_callback_within_the_window(
    app, client, shop, set_clock
):
    entretien, garantie = shop.campaigns["Entretien"], shop.campaigns["Garantie"]
    record_drop(app, shop, entretien, JEANNE, "Marie", NOW - timedelta(days=10))
    record_drop(app, shop, garantie, JEANNE, "Paul", NOW - timedelta(days=3))
    record_drop(app, shop, entretien, PIERRE, "Marie", NOW - timedelta(days=40))
    record_drop(app, shop, entretien, LUC, "Marie", NOW - timedelta(days=5))
    set_clock(NOW - timedelta(days=1))
    assert incoming(client, app, LUC, SHARED).status_code == 200  # Luc calls back: Marie's
    set_clock(NOW)

    booked = post(
        client,
        shop,
        reference="RDV-1",
        kind="appointment_booked",
        external_id="C-Jeanne",
        occurred_at=iso(NOW - timedelta(hours=1)),
    )
    assert booked.status_code == 201, booked.json
    assert (booked.json["touch"], booked.json["campaign_id"], booked.json["seller_id"]) == (
        "drop",
        garantie,
        shop.sellers["Paul"]["id"],
    )
    assert booked.json["contact_id"] == shop.contacts["Jeanne"]["id"]

    # Before Paul's drop, Marie's was the last one.
    earlier = post(
        client,
        shop,
        reference="OR-7",
        kind="repair_order",
        phone="06 12 34 56 01",
        amount=349.9,
        occurred_at=iso(NOW - timedelta(days=4)),
    )
    assert (earlier.json["campaign_id"], earlier.json["seller_id"]) == (
        entretien,
        shop.sellers["Marie"]["id"],
    )
    assert (earlier.json["amount"], earlier.json["currency"]) == (349.9, "EUR")

    sold = post(
        client, shop, reference="VO-3", kind="vehicle_sold", phone=LUC, amount=18500, currency="EUR"
    )
    assert (sold.json["touch"], sold.json["campaign_id"], sold.json["callback_id"]) == (
        "callback",
        entretien,
        sold.json["callback_id"],
    )
    assert sold.json["callback_id"] is not None

    reasons = {}
    for reference, key in (
        ("RDV-2", {"contact_id": shop.contacts["Pierre"]["id"]}),
        ("RDV-3", {"contact_id": shop.contacts["Zoé"]["id"]}),
        ("RDV-4", {"external_id": "C-inconnu"}),
    ):
        made = post(client, shop, reference=reference, kind="appointment_booked", **key)
        assert made.status_code == 201, made.json
        assert made.json["attributed"] is False and made.json["campaign_id"] is None
        reasons[reference] = made.json["unattributed"]
    assert reasons == {"RDV-2": "outside_window", "RDV-3": "no_message", "RDV-4": "unknown_contact"}

    # A wider window counts Pierre's next outcome; the one recorded stays as it was.
    widened = client.patch(
        f"{API}/account", headers=shop.admin.headers, json={"outcome_attribution_days": 60}
    )
    assert widened.status_code == 200 and widened.json["outcome_attribution_days"] == 60
    later = post(client, shop, reference="RDV-5", kind="appointment_booked", phone=PIERRE)
    assert (later.json["campaign_id"], later.json["attribution_days"]) == (entretien, 60)

    summary = client.get(f"{API}/outcomes/report", headers=shop.admin.headers).json
    assert (summary["total"], summary["to_drops"], summary["to_callbacks"]) == (7, 3, 1)
    assert summary["unattributed"] == {"unknown_contact": 1, "no_message": 1, "outside_window": 1}
    assert summary["revenue_attributed"] == [{"currency": "EUR", "amount": 18849.9}]
    listed = client.get(f"{API}/outcomes?attributed=false", headers=shop.admin.headers).json
    assert [item["reference"] for item in listed["items"]] == ["RDV-2", "RDV-3", "RDV-4"]


def test_posting_again_records_nothing_twice_and_every_item_is_accounted_for(runner, client, shop):
    first = post(client, shop, reference="RDV-1", kind="appointment_booked", phone=JEANNE)
    again = post(client, shop, reference="RDV-1", kind="appointment_booked", phone=JEANNE)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]
    changed = post(
        client, shop, reference="RDV-1", kind="appointment_booked", phone=JEANNE, amount=10
    )
    assert_error(changed, 409, "reference_reused")
    assert "amount" in changed.json["error"]["message"]

    other = create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    stranger = client.post(f"{API}/contacts", headers=other.headers, json={"phone": JEANNE}).json
    refused = post(client, shop, reference="X-1", kind="repair_order", contact_id=stranger["id"])
    assert_error(refused, 422)
    assert refused.json["error"]["details"][0]["type"] == "contact"
    ahead = post(
        client,
        shop,
        reference="X-2",
        kind="repair_order",
        phone=JEANNE,
        occurred_at=iso(NOW + timedelta(hours=1)),
    )
    assert ahead.json["error"]["details"][0]["type"] == "occurred_at"

    items = [
        {"reference": "RDV-1", "kind": "appointment_booked", "phone": JEANNE},
        {"reference": "OR-1", "kind": "repair_order", "phone": PIERRE, "amount": 120.5},
        {"reference": "OR-1", "kind": "repair_order", "phone": PIERRE, "amount": 120.5},
        {"reference": "OR-2", "kind": "repair_order", "phone": "0000"},
        {
            "reference": "OR-3",
            "kind": "repair_order",
            "phone": LUC,
            "occurred_at": iso(NOW + timedelta(days=1)),
        },
        {"reference": "OR-4", "kind": "repair_order", "contact_id": stranger["id"]},
        {"reference": "OR-5", "kind": "vehicle_sold", "external_id": "C-Zoé"},
    ]
    batch = client.post(
        f"{API}/outcomes/batch", headers=shop.admin.headers, json={"outcomes": items}
    )
    assert batch.status_code == 200, batch.json
    report = batch.json
    assert (report["recorded"], report["already_recorded"], report["rejected"]) == (2, 1, 4)
    assert [(error["index"], error["code"]) for error in report["errors"]] == [
        (3, "duplicate"),
        (4, "invalid_phone"),
        (5, "occurred_in_future"),
        (6, "not_found"),
    ]
    assert report["unattributed"] == {"unknown_contact": 0, "no_message": 2, "outside_window": 0}

    resent = client.post(
        f"{API}/outcomes/batch", headers=shop.admin.headers, json={"outcomes": items[:2]}
    ).json
    assert (resent["recorded"], resent["already_recorded"]) == (0, 2)
    listed = client.get(f"{API}/outcomes", headers=shop.admin.headers).json["items"]
    assert sorted(item["reference"] for item in listed) == ["OR-1", "OR-5", "RDV-1"]
    assert not client.get(f"{API}/outcomes", headers=other.headers).json["items"]

    seller = seller_key(client, shop.admin, shop.sellers["Marie"]["id"])
    by_seller = client.post(
        f"{API}/outcomes",
        headers=seller.headers,
        json={"reference": "S-1", "kind": "repair_order", "phone": JEANNE},
    )
    assert_error(by_seller, 403)


def priced(app, campaign_id: int, amount: float, unit: str) -> None:
    """Set-up: the carrier priced each call of the campaign `amount` `unit`."""
    with app.app_context():
        from voicecast.extensions import db
        from voicecast.models import Attempt

        db.session.execute(
            update(Attempt)
            .where(Attempt.campaign_id == campaign_id)
            .values(price=amount, price_unit=unit)
        )
        db.session.commit()


def logged_in(runner, client, email: str) -> None:
    result = runner.invoke(args=["user", "set-password", email], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert log_in(client, email, PASSWORD).status_code == 302


def results_world(app, client, shop) -> int:
    """Four drops of Marie's in "Entretien", priced 6.25 each; two appointments after them,
    one repair order worth 249.90."""
    entretien = shop.campaigns["Entretien"]
    for phone in (JEANNE, PIERRE, LUC, ZOE):
        record_drop(app, shop, entretien, phone, "Marie", NOW - timedelta(days=2))
    priced(app, entretien, 6.25, "EUR")
    for reference, kind, phone, amount in (
        ("RDV-1", "appointment_booked", JEANNE, None),
        ("RDV-2", "appointment_booked", PIERRE, None),
        ("OR-1", "repair_order", LUC, 249.9),
    ):
        made = post(client, shop, reference=reference, kind=kind, phone=phone, amount=amount)
        assert made.status_code == 201, made.json
    return entretien


def test_campaigns_and_sellers_report_cost_per_appointment_in_french(app, runner, client, shop):
    campaign_id = results_world(app, client, shop)
    got = client.get(f"{API}/campaigns/{campaign_id}/report", headers=shop.admin.headers).json
    assert (got["drops"], got["appointments"], got["repair_orders"]) == (4, 2, 1)
    assert got["revenue"] == [{"currency": "EUR", "amount": 249.9}]
    assert got["cost"] == [{"currency": "EUR", "amount": 25.0}]
    assert got["cost_per_appointment"] == [{"currency": "EUR", "amount": 12.5}]
    garantie = shop.campaigns["Garantie"]  # priced calls, no appointment yet
    record_drop(app, shop, garantie, JEANNE, "Paul", NOW - timedelta(days=1))
    priced(app, garantie, 0.5, "EUR")
    none_yet = client.get(f"{API}/campaigns/{garantie}/report", headers=shop.admin.headers).json
    assert (none_yet["cost"], none_yet["cost_per_appointment"]) == (
        [{"currency": "EUR", "amount": 0.5}],
        [],
    )
    sellers = client.get(f"{API}/sellers/report", headers=shop.admin.headers).json["items"]
    lines = {line["name"]: line for line in sellers}
    assert (lines["Marie"]["appointments"], lines["Paul"]["appointments"]) == (2, 0)
    assert lines["Marie"]["cost_per_appointment"] == [{"currency": "EUR", "amount": 12.5}]
    assert (lines["Paul"]["drops"], lines["Paul"]["cost_per_appointment"]) == (1, [])

    logged_in(runner, client, "chef@dupont.example")
    page = client.get(f"/campaigns/{campaign_id}").text
    assert 'data-result="cost_per_appointment">12,50\u00a0€<' in page
    assert 'data-result="revenue">249,90\u00a0€<' in page
    assert "Coût par rendez-vous" in page
    assert 'data-result="cost_per_appointment">—<' in client.get(f"/campaigns/{garantie}").text
    sellers_page = client.get("/sellers").text
    assert 'data-result="cost_per_appointment">12,50\u00a0€<' in sellers_page

    export = client.get(f"{API}/outcomes.csv?delimiter=semicolon&campaign_id={campaign_id}")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["N° de résultat", "Référence", "Type (code)", "Type"]
    repair = next(row for row in rows if row[1] == "OR-1")
    assert (repair[3], repair[4], repair[19]) == ("Ordre de réparation", "249,9", "Entretien")


def test_a_us_account_reads_its_results_the_us_way(app, runner, client, set_clock):
    set_clock(NOW)
    shop = open_shop(app, runner, client, {"Mary": "+12125550100"}, country="US")
    customer = "+12125550123"
    add_contact(client, shop, customer, first_name="Jane")
    campaign_id = add_campaign(client, shop, "Service")
    record_drop(app, shop, campaign_id, customer, "Mary", NOW - timedelta(days=1))
    priced(app, campaign_id, 12.5, "USD")
    app.config["PRICE_EXCHANGE_RATES"] = {}
    app.config["PRICE_CURRENCY"] = "USD"
    made = post(
        client, shop, reference="RO-1", kind="appointment_booked", phone=customer, amount=1234.5
    )
    assert made.json["currency"] == "USD"
    logged_in(runner, client, "chef@dupont.example")
    page = client.get(f"/campaigns/{campaign_id}").text
    assert 'data-result="cost_per_appointment">$12.50<' in page
    assert 'data-result="revenue">$1,234.50<' in page
    assert "Cost per appointment" in page and "Coût" not in page.split('data-testid="results"')[1]
