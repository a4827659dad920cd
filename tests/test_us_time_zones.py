"""US time zones from the ZIP code as well as the area code: a 213 (Los Angeles) number with a
Puerto Rico ZIP, or a 415 (San Francisco) one with a Miami ZIP, is called only while the
window is open in both zones, by the round and by the dial job alike, and the waiting reason
says which zone is closed. Issue 22, point 2. Both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.helpers import create_tenant
from tests.rules_world import ALWAYS, Person, build_world, clear_world, dialed_phones, launch
from tests.test_contact_import import API, finished_import, upload
from voicecast.extensions import db
from voicecast.models import Attempt, Delivery
from voicecast.time_zones import contact_zones

LA, NEW_YORK, PUERTO_RICO = "America/Los_Angeles", "America/New_York", "America/Puerto_Rico"
# Monday 7 December 2026, 01:08 UTC: 17:08 in Los Angeles, 20:08 in New York, 21:08 in San Juan.
EVENING = datetime(2026, 12, 7, 1, 8, tzinfo=UTC)


def test_a_zip_code_that_disagrees_with_the_number_gives_a_second_zone():
    assert contact_zones("00901", "US", LA) == (PUERTO_RICO, LA)  # San Juan, a 213 number
    assert contact_zones("33101", "US", LA) == (NEW_YORK, LA)  # Miami, a 415 number
    assert contact_zones("33101-1234", "US", NEW_YORK) == (NEW_YORK, None)
    assert contact_zones("90012", "US", LA) == (LA, None)
    assert contact_zones(None, "US", LA) == (LA, None)
    assert contact_zones("99999", "US", LA) == (LA, None)  # no such ZIP: the number's zone
    # Leading zeros a spreadsheet dropped: 07030 (Hoboken), 00901 (San Juan).
    assert contact_zones("7030", "US", LA) == (NEW_YORK, LA)
    assert contact_zones("901", "US", LA) == (PUERTO_RICO, LA)
    assert contact_zones("900123", "US", LA) == (LA, None)  # not a ZIP: not cut to one
    assert contact_zones("75008", "FR", "Europe/Paris") == ("Europe/Paris", None)
    assert contact_zones("97400", "FR", "Europe/Paris") == ("Indian/Reunion", "Europe/Paris")


@pytest.fixture
def us_admin(runner, client):
    return create_tenant(runner, client, "Lone Star Motors", "gm@lonestar.example", country="US")


def test_an_import_gives_each_contact_its_zones(client, us_admin, run_jobs):
    data = (
        b"Phone,First name,ZIP\n(213) 555-0143,Ann,00901\n(415) 555-0101,Bob,33101\n"
        b"(212) 555-0102,Cid,10001\n(213) 555-0103,Dee,\n"
    )
    state = finished_import(client, us_admin, upload(client, us_admin, data), run_jobs)
    assert state["status"] == "done", state
    items = client.get(f"{API}/contacts", headers=us_admin.headers).json["items"]
    zones = {item["first_name"]: (item["timezone"], item["alt_timezone"]) for item in items}
    assert zones == {
        "Ann": (PUERTO_RICO, LA), "Bob": (NEW_YORK, LA), "Cid": (NEW_YORK, None),
        "Dee": (LA, None),
    }  # fmt: skip
    # A later file without ZIPs: the ZIP on record stays, and so do the zones it gives.
    again = b"Phone,First name\n(213) 555-0143,Ann\n"
    finished_import(client, us_admin, upload(client, us_admin, again), run_jobs)
    items = client.get(f"{API}/contacts", headers=us_admin.headers).json["items"]
    ann = next(item for item in items if item["first_name"] == "Ann")
    assert (ann["postal_code"], ann["timezone"], ann["alt_timezone"]) == ("00901", PUERTO_RICO, LA)


@pytest.fixture
def us_rules(app, runner, client):
    """A US account under the US preset."""
    return create_tenant(runner, client, "Lone Star Motors", "gm@lonestar.example", "US", "US")


def test_a_round_calls_only_contacts_inside_the_window_in_both_zones(
    app, client, us_rules, set_clock
):
    from voicecast.delivery.rounds import dispatch_round

    people = [
        Person(PUERTO_RICO, "consent_with_proof", alt_zone=LA),  # 21:08 in San Juan: closed
        Person(NEW_YORK, "consent_with_proof", alt_zone=LA),  # 20:08 and 17:08: open
        Person(LA, "consent_with_proof", alt_zone=PUERTO_RICO),  # closed by its second zone
        Person(LA, "consent_with_proof"),
    ]
    with app.app_context():
        clear_world()
        phones = list(build_world(us_rules.account_id, people, EVENING))
        campaign_id = launch(us_rules.account_id, ALWAYS, EVENING)
        dispatch_round(campaign_id, EVENING)
        assert dialed_phones(campaign_id) == {phones[1], phones[3]}
    set_clock(EVENING)
    page = client.get(f"{API}/campaigns/{campaign_id}/deliveries", headers=us_rules.headers)
    waiting = {item["phone"]: item["waiting"] for item in page.json["items"]}
    first, third = waiting[phones[0]], waiting[phones[2]]
    assert first["reason"] == "outside_hours"
    assert first["text"] == (
        "outside calling hours in America/Puerto_Rico (its postal code's zone; its number's is "
        "America/Los_Angeles: called only when both are open) until Mon 07 Dec 12:00 "
        "America/Puerto_Rico"
    )
    # It opens when both are open: 08:00 in Los Angeles is 12:00 in San Juan.
    assert third["text"] == (
        "outside calling hours in America/Puerto_Rico (its number's zone; its postal code's is "
        "America/Los_Angeles: called only when both are open) until Mon 07 Dec 08:00 "
        "America/Los_Angeles"
    )
    assert third["until"].startswith("2026-12-07T16:00")


def test_the_dial_job_checks_both_zones_before_it_dials(app, us_rules, set_clock):
    from voicecast.delivery.dialing import DIAL_PLANS, dial
    from voicecast.delivery.rounds import dispatch_round

    # Claimed at 16:30 in Los Angeles (20:30 in San Juan); the job runs at 17:30 (21:30).
    claimed_at = datetime(2026, 12, 8, 0, 30, tzinfo=UTC)
    dialed_at = datetime(2026, 12, 8, 1, 30, tzinfo=UTC)
    with app.app_context():
        clear_world()
        person = Person(LA, "consent_with_proof", alt_zone=PUERTO_RICO)
        build_world(us_rules.account_id, [person], claimed_at)
        campaign_id = launch(us_rules.account_id, ALWAYS, claimed_at)
        dispatch_round(campaign_id, claimed_at)
        attempt = db.session.scalar(select(Attempt).where(Attempt.campaign_id == campaign_id))
        assert attempt is not None
        plan = db.session.execute(DIAL_PLANS, {"attempt_ids": [attempt.id]}).one()
        set_clock(dialed_at)
        assert dial(attempt.id, plan, []) == "not dialed: outside calling hours"
        delivery = db.session.scalar(select(Delivery).where(Delivery.campaign_id == campaign_id))
        assert (delivery.status, delivery.attempt_count) == ("pending", 0)
