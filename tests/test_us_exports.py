"""A US dealer's exports and seller texts read the US way: English titles and labels, numbers
as (213) 555-0143, costs as $0.14, times as 12/06/2026 8:00 PM CST in the account's zone;
programs still get codes and UTC with `lang=en`. Issue 22, point 7 (the rest). Both
databases."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.helpers import create_tenant
from tests.rules_world import ALWAYS, launch
from voicecast.callbacks.notify import notification_text
from voicecast.extensions import db
from voicecast.models import Attempt, AttemptState, Contact, Delivery, InboundCall

API = "/api/v1"
EVENING = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 8 PM on 6 December in Chicago
CUSTOMER = "+12135550143"


@pytest.fixture
def us_campaign(app, runner, client):
    """A US account in Chicago's zone, one call that left a voicemail at 8 PM for $0.14, and
    the customer's callback at the same time."""
    tenant = create_tenant(runner, client, "Lone Star Motors", "gm@lonestar.example", "US")
    zone = client.patch(
        f"{API}/account", headers=tenant.headers, json={"timezone": "America/Chicago"}
    )
    assert zone.status_code == 200, zone.json
    with app.app_context():
        db.session.add(
            Contact(account_id=tenant.account_id, phone=CUSTOMER, first_name="Ann",
                    last_name="Lee", attributes={})
        )  # fmt: skip
        db.session.commit()
        campaign_id = launch(tenant.account_id, ALWAYS, EVENING)
        delivery = db.session.scalar(select(Delivery))
        delivery.status, delivery.attempt_count, delivery.next_attempt_at = (
            "voicemail_left", 1, None
        )  # fmt: skip
        db.session.add(
            Attempt(delivery_id=delivery.id, campaign_id=campaign_id, number=1,
                    state=AttemptState.COMPLETED, call_sid="CA" + "1" * 32, dialed_at=EVENING,
                    ended_at=EVENING, outcome="voicemail_left", answered_by="machine_end_beep",
                    price=0.14, price_unit="USD")
        )  # fmt: skip
        db.session.add(
            InboundCall(account_id=tenant.account_id, call_sid="CA" + "2" * 32,
                        from_number=CUSTOMER, to_number="+12135550100", campaign_id=campaign_id,
                        contact_id=delivery.contact_id, route="fallback",
                        dialed_number="+13125550100", started_at=EVENING)
        )  # fmt: skip
        db.session.commit()
    return tenant, campaign_id


def rows_of(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_a_us_account_s_exports_read_the_us_way(client, us_campaign):
    tenant, campaign_id = us_campaign
    url = f"{API}/campaigns/{campaign_id}"
    [row] = rows_of(client.get(f"{url}/deliveries.csv", headers=tenant.headers))
    assert row["Phone"] == "(213) 555-0143"
    assert (row["First name"], row["Last name"]) == ("Ann", "Lee")
    assert (row["Status (code)"], row["Status"]) == ("voicemail_left", "Voicemail left")
    assert row["Last call (Chicago time)"] == "12/06/2026 8:00 PM CST"
    assert (row["Cost"], row["Cost currency"]) == ("$0.14", "USD")
    assert row["Answered by"] == "Voicemail, after the beep"

    [call] = rows_of(client.get(f"{url}/callbacks.csv", headers=tenant.headers))
    assert (call["Caller"], call["Number called"]) == ("(213) 555-0143", "(213) 555-0100")
    assert call["Call received (Chicago time)"] == "12/06/2026 8:00 PM CST"
    assert (call["Routing"], call["Seller told"]) == ("Fallback number", "no")

    # Programs keep the codes, E.164 and UTC.
    [plain] = rows_of(
        client.get(f"{url}/deliveries.csv", headers=tenant.headers, query_string={"lang": "en"})
    )
    assert (plain["phone"], plain["last_attempt_at"], plain["cost"]) == (
        CUSTOMER, "2026-12-07 02:00:00", "0.14"
    )  # fmt: skip


def test_a_us_seller_s_text_reads_the_us_way(app, us_campaign):
    with app.app_context():
        call = db.session.scalar(select(InboundCall))
        assert notification_text(call) == (
            "Missed callback from Ann Lee ((213) 555-0143), campaign now, 12/06 8:00 PM CST. "
            "No message left."
        )


def test_a_us_account_s_outcomes_export_reads_the_us_way(client, set_clock, us_campaign):
    """Every export names its columns in English for a US account: outcomes.csv too (its
    columns once had no English titles, and the US export answered 500)."""
    tenant, _ = us_campaign
    set_clock(datetime(2026, 12, 7, 15, 0, tzinfo=UTC))
    posted = client.post(
        f"{API}/outcomes",
        headers=tenant.headers,
        json={"phone": CUSTOMER, "kind": "appointment_booked", "reference": "RDV-1",
              "amount": 250, "occurred_at": "2026-12-07T14:00:00Z"},
    )  # fmt: skip
    assert posted.status_code == 201, posted.json
    [row] = rows_of(client.get(f"{API}/outcomes.csv", headers=tenant.headers))
    assert row["Phone"] == "(213) 555-0143"
    assert (row["Kind (code)"], row["Kind"]) == ("appointment_booked", "Appointment booked")
    assert (row["Amount"], row["Currency"]) == ("$250.00", "USD")
    assert row["Date (Chicago time)"] == "12/07/2026 8:00 AM CST"
    assert row["Attributed to (code)"] == "callback"  # the callback came after the drop


def test_every_export_column_has_its_english_title():
    """A column added to an export without its English title answers 500 to US accounts."""
    from voicecast.exports import callbacks, deliveries
    from voicecast.exports.titles import ENGLISH_TITLES
    from voicecast.outcomes import export

    missing = [
        (module.__name__, code)
        for module in (callbacks, deliveries, export)
        for code, _ in module.COLUMNS
        if code not in ENGLISH_TITLES
    ]
    assert missing == []
