"""US state calling rules (issue 22, point 3): a US dealer group's customer file with Florida,
Texas and Puerto Rico contacts, some of whose ZIP codes disagree with their area codes, is
called over a long weekend by the dispatcher's rounds and the dial job, and no call is ever
placed outside any window that applies to the contact (the US preset's, each of its states',
in each of its zones) nor past a state's cap of calls in 24 hours. The expectations come from
`test_calling_rules_properties`' own table of the statutes. Both databases."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from tests.helpers import create_tenant
from tests.rules_world import (
    ALWAYS,
    Person,
    add_past_attempts,
    build_world,
    clear_world,
    launch,
)
from tests.test_calling_rules_properties import STATUTES, US_RULES, us_open
from tests.test_contact_import import API, finished_import, upload
from voicecast.extensions import db
from voicecast.models import Attempt, Contact, Delivery
from voicecast.models.campaign import Campaign
from voicecast.rules.us_states import contact_regions

FIXTURE = Path(__file__).parent / "fixtures" / "us_dealer_contacts.csv"
NEW_YORK, CHICAGO, DENVER = "America/New_York", "America/Chicago", "America/Denver"
LA, PUERTO_RICO = "America/Los_Angeles", "America/Puerto_Rico"
# What the file says of each customer, as a person reads it: the ZIP code's zone and state,
# then the area code's when they differ (Olive's state column names Oklahoma).
EXPECTED = {
    "Flora": ((NEW_YORK,), "FL"),  # Miami ZIP, 305 (Miami)
    "Frank": ((NEW_YORK, LA), "FL CA"),  # Miami ZIP, 415 (San Francisco)
    "Penny": ((CHICAGO, NEW_YORK), "FL"),  # Pensacola ZIP (Central), 850 (listed Eastern)
    "Tex": ((CHICAGO,), "TX"),  # Dallas ZIP, 214
    "Tia": ((CHICAGO, NEW_YORK), "TX FL"),  # Dallas ZIP, 305 (Miami)
    "Elena": ((DENVER,), "TX"),  # El Paso ZIP (Mountain), 915
    "Rico": ((PUERTO_RICO,), "PR"),  # San Juan ZIP, 787
    "Rosa": ((PUERTO_RICO, LA), "PR CA"),  # San Juan ZIP, 213 (Los Angeles)
    "Carl": ((LA,), "CA"),  # Los Angeles ZIP, 213
    "Olive": ((CHICAGO, NEW_YORK), "OK NY"),  # state column Oklahoma, OKC ZIP, 212 (New York)
    "Lou": ((CHICAGO,), "LA"),  # New Orleans ZIP, 504: no calls on Sunday
    "Nora": ((NEW_YORK, LA), "FL CA"),  # no consent: never called
}
# Friday 4 December 2026, 06:55 in New York, to Monday 7 December, 06:55.
START = datetime(2026, 12, 4, 11, 55, tzinfo=UTC)
END = START + timedelta(days=3)
ROUND_EVERY = timedelta(minutes=15)
DIAL_LAG = timedelta(minutes=7)  # the dial job runs after the round that claimed


@pytest.fixture
def us_rules(app, runner, client):
    """A US account under the US preset."""
    return create_tenant(runner, client, "Sunshine Motors", "gm@sunshine.example", "US", "US")


def test_a_contact_s_states_come_from_its_zip_code_its_state_column_and_its_area_code():
    assert contact_regions("33101", "+13055550101", "US") == "FL"
    assert contact_regions("33101", "+14155550102", "US") == "FL CA"
    assert contact_regions("00901", "+12135550108", "US") == "PR CA"
    assert contact_regions("901", "+17875550107", "US") == "PR"  # leading zeros dropped
    assert contact_regions(None, "+12125550110", "US", "Oklahoma") == "OK NY"
    assert contact_regions("73102", "+12125550110", "US", "ok") == "OK NY"
    assert contact_regions("33101", "+12125550110", "US", "TX") == "TX FL NY"
    assert contact_regions(None, None, "US") is None
    assert contact_regions("75008", "+33612345678", "FR") is None  # France has no states


def by_name(client, tenant) -> dict[str, dict]:
    items = client.get(f"{API}/contacts?limit=100", headers=tenant.headers).json["items"]
    return {item["first_name"]: item for item in items}


def import_fixture(client, tenant, run_jobs) -> dict[str, dict]:
    response = upload(client, tenant, FIXTURE.read_bytes(), name="sunshine.csv")
    state = finished_import(client, tenant, response, run_jobs)
    assert state["status"] == "done", state
    assert state["report"]["calling"]["may_call"] == len(EXPECTED) - 1  # all but Nora
    return by_name(client, tenant)


def test_an_import_gives_each_customer_its_zones_and_states(client, us_rules, run_jobs, set_clock):
    set_clock(START)
    people = import_fixture(client, us_rules, run_jobs)
    found = {
        name: (tuple(zone for zone in (item["timezone"], item["alt_timezone"]) if zone),
               item["regions"])
        for name, item in people.items()
    }  # fmt: skip
    assert found == EXPECTED


class Carrier:
    """The carrier's side of a call: taken at once, nobody answers (so every contact is
    called again after the retry delay, up to the campaign's attempts)."""

    def place_call(self, **options) -> SimpleNamespace:
        return SimpleNamespace(sid=f"CA{abs(hash(options['url'])):032d}"[:34], status="no-answer")


def dial_what_was_claimed(campaign_id: int) -> None:
    """The dial job, for every attempt the round recorded (it checks the window and makes the
    dial claim before the carrier request)."""
    from voicecast.delivery.dialing import DIAL_PLANS, dial

    created = select(Attempt.id).where(
        Attempt.campaign_id == campaign_id, Attempt.dialed_at.is_(None)
    )
    for attempt_id in list(db.session.scalars(created)):
        plan = db.session.execute(DIAL_PLANS, {"attempt_ids": [attempt_id]}).one()
        db.session.commit()
        dial(attempt_id, plan, [])


def calls_by_name(campaign_id: int) -> dict[str, list[datetime]]:
    stmt = (
        select(Contact.first_name, Attempt.dialed_at)
        .join(Delivery, Delivery.id == Attempt.delivery_id)
        .join(Contact, Contact.id == Delivery.contact_id)
        .where(Attempt.campaign_id == campaign_id, Attempt.dialed_at.is_not(None))
    )
    found: dict[str, list[datetime]] = defaultdict(list)
    for name, at in db.session.execute(stmt):
        found[name].append(at.replace(tzinfo=UTC) if at.tzinfo is None else at)
    return {name: sorted(moments) for name, moments in found.items()}


def test_the_us_file_is_never_called_outside_a_window_that_applies_and_caps_hold(
    app, client, us_rules, run_jobs, set_clock, monkeypatch
):
    from voicecast.delivery import dialing
    from voicecast.delivery.rounds import dispatch_round

    set_clock(START)
    import_fixture(client, us_rules, run_jobs)
    monkeypatch.setattr(dialing, "carrier_client", Carrier)
    with app.app_context():
        campaign_id = launch(
            us_rules.account_id, ALWAYS, START, max_attempts=8, retry_delays_seconds=[600]
        )
        moment = START
        while moment < END:
            set_clock(moment)
            dispatch_round(campaign_id, moment)
            set_clock(moment + DIAL_LAG)
            dial_what_was_claimed(campaign_id)
            moment += ROUND_EVERY
        calls = calls_by_name(campaign_id)
    rules = US_RULES["US"]
    for name, moments in calls.items():
        zones, regions = EXPECTED[name]
        states = regions.split()
        for at in moments:
            assert all(us_open(rules, ALWAYS, zone, states, at) for zone in zones), (name, at)
        for state in states:
            cap = STATUTES.get(state, {}).get("cap")
            for at in moments if cap else ():
                within = [other for other in moments if at - timedelta(hours=24) < other <= at]
                assert len(within) <= cap, (name, state, within)
    # Every customer with consent was called; the capped ones three times a day at most (so
    # Flora's eight attempts span three days), the others as often as the retries allow.
    assert set(calls) == set(EXPECTED) - {"Nora"}
    assert len(calls["Carl"]) == 8 and calls["Carl"][-1] - calls["Carl"][0] < timedelta(hours=4)
    flora = calls["Flora"]
    assert len(flora) == 8 and flora[-1] - flora[0] > timedelta(days=2)
    # Texas on Sunday: from noon; Louisiana: never on Sunday (6 December).
    sunday = datetime(2026, 12, 6).date()
    assert all(at.astimezone(UTC).hour >= 18 for at in calls["Tex"]
               if at.astimezone(UTC).date() == sunday)  # fmt: skip
    assert not [at for at in calls["Lou"] if (at - timedelta(hours=6)).date() == sunday]


def test_the_dial_job_refuses_a_florida_call_once_8_pm_has_passed(
    app, us_rules, set_clock, monkeypatch
):
    from voicecast.delivery import dialing
    from voicecast.delivery.dialing import DIAL_PLANS, dial
    from voicecast.delivery.rounds import dispatch_round

    monkeypatch.setattr(dialing, "carrier_client", Carrier)
    # Claimed at 19:55 in Miami (a round's last chance), dialed at 20:02 by the job.
    claimed_at = datetime(2026, 12, 8, 0, 55, tzinfo=UTC)
    with app.app_context():
        clear_world()
        build_world(
            us_rules.account_id, [Person(NEW_YORK, "consent_with_proof", regions="FL")], claimed_at
        )
        campaign_id = launch(us_rules.account_id, ALWAYS, claimed_at)
        dispatch_round(campaign_id, claimed_at)
        attempt = db.session.scalar(select(Attempt).where(Attempt.campaign_id == campaign_id))
        assert attempt is not None
        plan = db.session.execute(DIAL_PLANS, {"attempt_ids": [attempt.id]}).one()
        set_clock(claimed_at + DIAL_LAG)
        assert dial(attempt.id, plan, []) == "not dialed: outside calling hours"


def test_the_dial_claim_holds_a_florida_number_called_three_times_in_24_hours(
    app, us_rules, set_clock, monkeypatch
):
    from voicecast.delivery import dialing
    from voicecast.delivery.rounds import dispatch_round

    monkeypatch.setattr(dialing, "carrier_client", Carrier)
    now = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)  # 10:00 in Miami
    with app.app_context():
        clear_world()
        person = Person(NEW_YORK, "consent_with_proof", regions="FL", attempts_minutes_ago=[60])
        phone = next(iter(build_world(us_rules.account_id, [person], now)))
        campaign_id = launch(us_rules.account_id, ALWAYS, now)
        dispatch_round(campaign_id, now)  # two calls in 24 hours: claimed
        attempt = db.session.scalar(select(Attempt).where(Attempt.campaign_id == campaign_id))
        plan = db.session.execute(dialing.DIAL_PLANS, {"attempt_ids": [attempt.id]}).one()
        # Meanwhile another campaign of the account called the number twice more.
        earlier = db.session.scalar(select(Campaign).where(Campaign.name == "earlier"))
        columns = [column.name for column in Campaign.__table__.columns if column.name != "id"]
        other = Campaign(**{name: getattr(earlier, name) for name in columns})
        db.session.add(other)
        db.session.flush()
        add_past_attempts(other, us_rules.account_id, phone, [30, 5], now)
        db.session.commit()
        set_clock(now + timedelta(minutes=1))
        assert dialing.dial(attempt.id, plan, []) == "not dialed: state_cap:FL"
        delivery = db.session.scalar(select(Delivery).where(Delivery.campaign_id == campaign_id))
        # It waits until the oldest of the three leaves the 24 hours.
        assert delivery.reason == "state_cap:FL"
        assert delivery.next_attempt_at.replace(tzinfo=UTC) == now + timedelta(hours=23)


def test_a_waiting_florida_customer_is_told_the_state_rule(app, client, us_rules, set_clock):
    from voicecast.delivery.rounds import dispatch_round

    evening = datetime(2026, 12, 8, 1, 8, tzinfo=UTC)  # Monday 20:08 in Miami, 19:08 in Dallas
    people = [
        Person(NEW_YORK, "consent_with_proof", regions="FL"),
        Person(CHICAGO, "consent_with_proof", regions="TX", alt_zone=NEW_YORK),
        Person(NEW_YORK, "consent_with_proof", regions="NY"),
    ]
    with app.app_context():
        clear_world()
        phones = list(build_world(us_rules.account_id, people, evening))
        campaign_id = launch(us_rules.account_id, ALWAYS, evening)
        dispatch_round(campaign_id, evening)
    set_clock(evening)
    page = client.get(f"{API}/campaigns/{campaign_id}/deliveries", headers=us_rules.headers)
    waiting = {item["phone"]: item["waiting"] for item in page.json["items"]}
    florida = waiting[phones[0]]
    assert (florida["reason"], florida["text"]) == (
        "state_hours:FL",
        "Florida: calls 8 am-8 pm until Tue 08 Dec 08:00 America/New_York",
    )
    assert florida["until"].startswith("2026-12-08T13:00")
    # Texas allows 9 pm: read in both its zones, 20:08 in New York is fine.
    assert waiting[phones[1]] is None or waiting[phones[1]]["reason"] != "state_hours:TX"
    assert waiting[phones[2]] is None  # New York: federal hours, dialed


def test_an_account_narrows_the_us_preset_on_top_of_the_state_rules_never_drops_them(
    client, us_rules
):
    from voicecast.rules.presets import account_rules
    from voicecast.rules.schedule import Schedule

    dropped = client.patch(
        f"{API}/account",
        headers=us_rules.headers,
        json={"calling_rules_changes": {"state_rules": []}},
    )
    assert dropped.status_code == 422  # no such change: the state rules are not the account's
    wider = {"hours": [["07:00", "22:00"]]}
    refused = client.patch(
        f"{API}/account", headers=us_rules.headers, json={"calling_rules_changes": wider}
    )
    assert refused.status_code == 422
    narrower = {"hours": [["09:30", "20:45"]]}
    changed = client.patch(
        f"{API}/account", headers=us_rules.headers, json={"calling_rules_changes": narrower}
    )
    assert changed.status_code == 200, changed.json
    body = {"name": "E", "audience": {"kind": "all"}}
    campaign = client.post(f"{API}/campaigns", headers=us_rules.headers, json=body).json
    rules = client.get(f"{API}/campaigns/{campaign['id']}", headers=us_rules.headers).json
    florida = next(rule for rule in rules["calling_rules"]["state_rules"] if rule["state"] == "FL")
    assert florida["source"].startswith("Fla. Stat. § 501.616(6)")
    assert florida["attempt_cap"] == 3
    # Both apply to a Miami contact: the account's 9:30 start, Florida's 8 pm end.
    schedule = Schedule.of(ALWAYS, account_rules("US", narrower)).for_regions("FL")
    miami = datetime(2026, 12, 8, 14, 15, tzinfo=UTC)  # 9:15 in Miami
    assert schedule.closed_because(NEW_YORK, miami) == "hours"
    assert schedule.is_open(NEW_YORK, miami + timedelta(minutes=15))
    assert schedule.closed_because(NEW_YORK, miami + timedelta(hours=11)) == "state_hours:FL"


def test_the_us_file_s_dates_read_month_first_and_the_registry_skips_who_lacks_consent(
    app, client, us_rules, run_jobs, set_clock
):
    """Issue 22's file end to end: its purchase dates all fit both orders (read month first,
    the US order, and the report says they were ambiguous), its lease ends only fit month
    first (read so, from their values); a registry scrub names Carl, who gave written
    consent (called), and Nora, who did not (skipped as on the registry)."""
    from tests.test_national_dnc import upload as upload_scrub

    set_clock(START)
    scrub = upload_scrub(client, us_rules, b"2135550109\r\n2135550112\r\n")
    assert scrub.status_code in (200, 201), scrub.json
    response = upload(client, us_rules, FIXTURE.read_bytes(), name="sunshine.csv")
    state = finished_import(client, us_rules, response, run_jobs)
    assert state["status"] == "done", state
    report = state["report"]
    columns = {column["header"]: column for column in report["columns"]}
    bought, lease = columns["Purchase date"], columns["Lease end"]
    assert (bought["type"], bought["date_order"], bought["ambiguous"]) == ("date", "MDY", True)
    assert "date_note" in bought
    assert (lease["type"], lease["date_order"], lease["ambiguous"]) == ("date", "MDY", False)
    assert lease["date_order_from"] == "values" and lease["failed"] == 0
    assert report["calling"]["may_call"] == len(EXPECTED) - 1  # all but Nora
    assert report["calling"]["may_not_call"].get("national_dnc") == 1

    people = by_name(client, us_rules)
    flora = people["Flora"]["attributes"]
    assert sorted(flora.values(), key=str) == ["2024-03-04", "2027-12-31"]  # 4 March, not 3 April
    with app.app_context():
        campaign_id = launch(us_rules.account_id, ALWAYS, START)
        reasons = dict(
            db.session.execute(
                select(Contact.first_name, Delivery.reason)
                .join(Delivery, Delivery.contact_id == Contact.id)
                .where(Delivery.campaign_id == campaign_id)
            ).all()
        )
    assert reasons["Nora"] == "national_dnc"
    assert reasons["Carl"] is None  # on the registry, with written consent: called
