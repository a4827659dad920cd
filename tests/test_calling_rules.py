"""Calling rules as a manager meets them: the FR and US presets an account calls under, what a
campaign's window becomes under them, who is left out and why, who waits and until when, and
what a preview promises before launch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.helpers import assert_error, create_tenant, seller_key
from tests.rules_world import ALWAYS, Person, build_world, clear_world, dialed_phones, launch
from voicecast.delivery import claim, forecast
from voicecast.extensions import db
from voicecast.models import Account, Attempt, Contact, Delivery
from voicecast.rules.presets import FR, US
from voicecast.rules.schedule import Schedule

API = "/api/v1"
PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS_9_TO_19 = {"days": [0, 1, 2, 3, 4, 5, 6], "start": "09:00", "end": "19:00"}


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)


# --- the schedule a campaign calls on ---------------------------------------------------------


def test_the_french_rules_narrow_a_campaign_window_and_never_widen_it():
    schedule = Schedule.of(WEEKDAYS_9_TO_19, FR)
    described = schedule.describe()
    assert described["hours"] == {
        day: [["10:00", "13:00"], ["14:00", "19:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
    }  # no weekend, no lunch hour, and the campaign's own 19:00 end kept
    assert schedule.is_open("Europe/Paris", paris(2026, 11, 26, 10, 0))  # a Thursday
    assert schedule.closed_because("Europe/Paris", paris(2026, 11, 26, 13, 30)) == "hours"
    assert schedule.closed_because("Europe/Paris", paris(2026, 11, 26, 19, 0)) == "hours"
    assert schedule.closed_because("Europe/Paris", paris(2026, 11, 28, 11, 0)) == "hours"  # Sat
    saturday_only = Schedule.of({"days": [5], "start": "10:00", "end": "12:00"}, FR)
    assert not saturday_only.ever_open
    assert Schedule.of({"days": [5], "start": "10:00", "end": "12:00"}, None).ever_open


def test_public_holidays_close_the_day_where_the_contact_is():
    schedule = Schedule.of(ALWAYS, FR)
    armistice = paris(2026, 11, 11, 11, 0)  # a Wednesday
    assert schedule.closed_because("Europe/Paris", armistice) == "Armistice Day"
    assert schedule.next_opening("Europe/Paris", armistice) == paris(2026, 11, 12, 10, 0)
    # Good Friday is a holiday in Alsace-Moselle only, but a zone cannot tell: nobody in
    # Europe/Paris is called that day.
    assert schedule.closed_because("Europe/Paris", paris(2026, 4, 3, 11, 0)) == "Good Friday"
    # 20 December (abolition of slavery) closes La Réunion, not Paris.
    reunion = datetime(2027, 12, 20, 11, 0, tzinfo=ZoneInfo("Indian/Reunion"))
    assert schedule.closed_because("Indian/Reunion", reunion) is not None
    assert schedule.is_open("Europe/Paris", paris(2027, 12, 20, 11, 0))
    # The US preset has no holiday rule, and its hours are 8:00-21:00 every day.
    us = Schedule.of(ALWAYS, US)
    new_york = ZoneInfo("America/New_York")
    assert us.is_open("America/New_York", datetime(2026, 11, 26, 8, 0, tzinfo=new_york))
    assert not us.is_open("America/New_York", datetime(2026, 11, 26, 21, 0, tzinfo=new_york))


def test_the_next_opening_skips_the_lunch_hour_the_weekend_and_holidays():
    schedule = Schedule.of(ALWAYS, FR)
    assert schedule.next_opening("Europe/Paris", paris(2026, 11, 26, 13, 5)) == paris(
        2026, 11, 26, 14, 0
    )
    friday_evening = paris(2026, 11, 27, 20, 0)
    assert schedule.next_opening("Europe/Paris", friday_evening) == paris(2026, 11, 30, 10, 0)
    christmas_eve = paris(2026, 12, 24, 20, 0)  # Christmas is a Friday in 2026
    assert schedule.next_opening("Europe/Paris", christmas_eve) == paris(2026, 12, 28, 10, 0)


# --- the API: an account's rules ----------------------------------------------------------------


@pytest.fixture
def admin(runner, client):
    return create_tenant(runner, client, "Garage Dupont", "boss@dupont.example", rules="FR")


def test_admins_choose_the_account_rules_and_others_cannot(runner, client, admin):
    assert client.get(f"{API}/account", headers=admin.headers).json["calling_rules"] == "FR"
    changed = client.patch(f"{API}/account", headers=admin.headers, json={"calling_rules": "US"})
    assert changed.status_code == 200 and changed.json["calling_rules"] == "US"
    off = client.patch(f"{API}/account", headers=admin.headers, json={"calling_rules": "none"})
    assert off.json["calling_rules"] is None
    bad = client.patch(f"{API}/account", headers=admin.headers, json={"calling_rules": "DE"})
    assert "body.calling_rules" in {d["field"] for d in assert_error(bad, 422)["details"]}
    seller = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Marie"}).json
    key = seller_key(client, admin, seller["id"])
    refused = client.patch(f"{API}/account", headers=key.headers, json={"calling_rules": "none"})
    assert_error(refused, 403)


def test_an_admin_narrows_the_preset_and_cannot_widen_it(client, admin):
    narrower = {"days": [0, 1, 2, 3], "hours": [["10:00", "12:00"]], "attempt_cap": 2,
                "silence_after_refusal_days": 90, "legal_basis": "written_consent"}  # fmt: skip
    changed = client.patch(
        f"{API}/account", headers=admin.headers, json={"calling_rules_changes": narrower}
    )
    assert changed.status_code == 200, changed.json
    assert (changed.json["calling_rules"], changed.json["calling_rules_changes"]) == (
        "FR",
        narrower,
    )
    campaign = client.post(
        f"{API}/campaigns", headers=admin.headers, json={"name": "E", "audience": {"kind": "all"}}
    ).json
    rules = client.get(f"{API}/campaigns/{campaign['id']}", headers=admin.headers).json[
        "calling_rules"
    ]
    assert rules["effective"]["hours"] == {
        day: [["10:00", "12:00"]] for day in ("mon", "tue", "wed", "thu")
    }
    assert (rules["attempt_cap"], rules["legal_basis"]) == (2, "written_consent")
    assert rules["narrowed_by_account"] == [
        "days", "hours", "attempt_cap", "silence_after_refusal_days", "legal_basis"
    ]  # fmt: skip

    wider = {
        "attempt_cap": (5, "FR rules allow at most 4 attempts"),
        "attempt_cap_days": (7, "FR rules count attempts over 30 days"),
        "hours": ([["09:00", "12:00"]], "09:00-12:00 is outside FR calling hours"),
        "days": ([4, 5], "FR rules call on days 0, 1, 2, 3, 4"),
        "public_holidays": (False, "never call on public holidays"),
        "silence_after_refusal_days": (30, "FR rules keep 60 days of silence"),
        "mobile_caller_id": (True, "forbid presenting a mobile number"),
    }
    for field, (value, message) in wider.items():
        refused = client.patch(
            f"{API}/account", headers=admin.headers, json={"calling_rules_changes": {field: value}}
        )
        error = assert_error(refused, 422)
        assert error["details"][0]["field"] == f"body.calling_rules_changes.{field}"
        assert message in error["message"], (field, error["message"])
    kept = client.get(f"{API}/account", headers=admin.headers).json
    assert kept["calling_rules_changes"] == narrower  # nothing refused was kept

    us = client.patch(f"{API}/account", headers=admin.headers, json={"calling_rules": "US"})
    assert us.json["calling_rules_changes"] is None  # they narrowed FR, not US
    none = {"calling_rules": "none", "calling_rules_changes": {"attempt_cap": 1}}
    refused = client.patch(f"{API}/account", headers=admin.headers, json=none)
    assert "no calling-rule preset to narrow" in assert_error(refused, 422)["message"]


def test_french_rules_refuse_a_mobile_caller_id(app, runner, client, admin):
    client.patch(f"{API}/account", headers=admin.headers, json={"calling_rules": "none"})
    result = runner.invoke(args=["account", "set-caller-id", str(admin.account_id), "0612345678"])
    assert result.exit_code == 0, result.output  # no rules: any number of the account
    back = client.patch(f"{API}/account", headers=admin.headers, json={"calling_rules": "FR"})
    assert "mobile number" in assert_error(back, 422)["message"]
    with app.app_context():  # as if it had been set before the rules existed
        db.session.get(Account, admin.account_id).calling_rules = "FR"
        db.session.commit()
    campaign = client.post(
        f"{API}/campaigns", headers=admin.headers, json={"name": "E", "audience": {"kind": "all"}}
    ).json
    launched = client.post(f"{API}/campaigns/{campaign['id']}/launch", headers=admin.headers)
    assert "mobile number" in assert_error(launched, 409)["message"]


def test_a_campaign_whose_window_the_rules_close_entirely_is_not_launched(runner, client, admin):
    runner.invoke(args=["account", "set-caller-id", str(admin.account_id), "0162000001"])
    body = {
        "name": "Samedi",
        "audience": {"kind": "all"},
        "calling_window": {"days": [5, 6], "start": "10:00", "end": "12:00"},
    }
    campaign = client.post(f"{API}/campaigns", headers=admin.headers, json=body).json
    assert campaign["status"] == "draft"
    state = client.get(f"{API}/campaigns/{campaign['id']}", headers=admin.headers).json
    assert state["calling_rules"]["preset"] == "FR"
    assert state["calling_rules"]["effective"]["hours"] == {}
    launched = client.post(f"{API}/campaigns/{campaign['id']}/launch", headers=admin.headers)
    assert "leaves no hour the FR calling rules allow" in assert_error(launched, 409)["message"]


# --- planning, dispatching and dialing under the rules -------------------------------------------


def contact(client, admin, phone: str, **fields) -> dict:
    made = client.post(f"{API}/contacts", headers=admin.headers, json={"phone": phone, **fields})
    assert made.status_code == 201, made.json
    return made.json


def test_planning_leaves_out_who_has_no_legal_basis_or_refused_with_the_reason(
    app, runner, client, admin, run_jobs
):
    runner.invoke(args=["account", "set-caller-id", str(admin.account_id), "0162000001"])
    consenting = contact(client, admin, "0612345601")
    client.put(f"{API}/contacts/{consenting['id']}/consent", headers=admin.headers,
               json={"source": "web form"})  # fmt: skip
    under_contract = contact(client, admin, "0612345602")
    client.put(f"{API}/contacts/{under_contract['id']}/contract", headers=admin.headers,
               json={"kind": "servicing"})  # fmt: skip
    contact(client, admin, "0612345603")  # nothing on record
    withdrawn = contact(client, admin, "0612345604")
    url = f"{API}/contacts/{withdrawn['id']}/consent"
    client.put(url, headers=admin.headers, json={"source": "web form"})
    client.delete(url, headers=admin.headers)
    ended = contact(client, admin, "0612345605")
    client.put(f"{API}/contacts/{ended['id']}/contract", headers=admin.headers,
               json={"kind": "warranty", "ends_on": "2020-01-31"})  # fmt: skip
    refused = contact(client, admin, "0612345606")
    client.put(f"{API}/contacts/{refused['id']}/consent", headers=admin.headers,
               json={"source": "web form"})  # fmt: skip
    marked = client.put(f"{API}/contacts/{refused['id']}/refusal", headers=admin.headers, json={})
    assert marked.status_code == 200 and marked.json["refused_at"] is not None

    campaign = client.post(
        f"{API}/campaigns", headers=admin.headers, json={"name": "E", "audience": {"kind": "all"}}
    ).json
    preview = client.get(f"{API}/campaigns/{campaign['id']}/preview", headers=admin.headers)
    assert preview.status_code == 200, preview.json
    assert (preview.json["to_call"], preview.json["skipped"]) == (
        0,
        {
            "no_legal_basis": 1,
            "consent_withdrawn": 1,
            "contract_ended": 1,
            "refused_recently": 1,
            "no_seller": 2,
        },
    )  # the two with a basis have no seller to speak for them (per_seller message)
    assert client.post(f"{API}/campaigns/{campaign['id']}/launch", headers=admin.headers).json
    run_jobs()  # planning (then a dispatcher round finds nothing to dial)
    items = client.get(f"{API}/campaigns/{campaign['id']}/deliveries", headers=admin.headers).json[
        "items"
    ]
    reasons = {item["phone"][-2:]: item["reason"] for item in items}
    assert reasons == {
        "01": "no_seller",
        "02": "no_seller",
        "03": "no_legal_basis",  # neither consent nor contract
        "04": "consent_withdrawn",
        "05": "contract_ended",
        "06": "refused_recently",
    }


@pytest.fixture
def account_id(app, admin) -> int:
    return admin.account_id


def test_consent_withdrawn_after_planning_stops_the_next_round_and_the_dial(app, account_id):
    from voicecast.delivery.dialing import not_claimed
    from voicecast.delivery.rounds import dispatch_round

    now = paris(2026, 11, 26, 11, 0)
    with app.app_context():  # withdrawn between planning and the dispatcher's round
        clear_world()
        build_world(account_id, [Person("Europe/Paris", "consent")], now)
        campaign_id = launch(account_id, ALWAYS, now)
        person = db.session.scalar(select(Contact).where(Contact.phone == "+33612340000"))
        person.consent_withdrawn_at = now - timedelta(minutes=1)
        db.session.commit()
        # Its only delivery is left out: nothing remains, the campaign is over.
        assert dispatch_round(campaign_id, now) == "completed"
        delivery = db.session.scalar(select(Delivery).where(Delivery.campaign_id == campaign_id))
        assert (delivery.status, delivery.reason) == ("excluded", "consent_withdrawn")
        assert db.session.scalar(select(Attempt).where(Attempt.campaign_id == campaign_id)) is None

    with app.app_context():  # the dial-time check: claimed by a round, then withdrawn
        clear_world()
        build_world(account_id, [Person("Europe/Paris", "contract_ongoing")], now)
        campaign_id = launch(account_id, ALWAYS, now)
        dispatch_round(campaign_id, now)
        attempt = db.session.scalar(select(Attempt).where(Attempt.campaign_id == campaign_id))
        person = db.session.scalar(select(Contact).where(Contact.phone == "+33612340000"))
        person.contract_ends_on = (now - timedelta(days=1)).date()  # the contract ended
        db.session.commit()
        assert not claim.claim(attempt.id, FR, now)
        assert not_claimed(attempt.id, FR, now) == "not dialed: contract_ended"
        delivery = db.session.scalar(select(Delivery).where(Delivery.campaign_id == campaign_id))
        assert (delivery.status, delivery.attempt_count) == ("excluded", 0)


def test_the_dial_claim_records_the_rules_it_was_dialed_under(app, account_id):
    from voicecast.delivery.rounds import dispatch_round

    now = paris(2026, 11, 26, 11, 0)
    with app.app_context():
        clear_world()
        three_calls_today = Person("Europe/Paris", "consent", attempts_minutes_ago=[60] * 3)
        build_world(account_id, [three_calls_today], now)
        campaign_id = launch(account_id, ALWAYS, now)
        dispatch_round(campaign_id, now)
        attempt = db.session.scalar(select(Attempt).where(Attempt.campaign_id == campaign_id))
        assert claim.claim(attempt.id, FR, now)  # the fourth attempt in 30 days: allowed
        db.session.expire_all()
        dialed = db.session.get(Attempt, attempt.id)
        assert (dialed.state, dialed.rules) == ("dialing", "FR")


def test_a_number_at_its_attempt_cap_waits_and_says_until_when(
    app, client, admin, account_id, set_clock
):
    from voicecast.delivery.rounds import dispatch_round

    now = paris(2026, 11, 26, 11, 0)
    set_clock(now)  # the deliveries' page tells why they wait as of now
    day = 24 * 60
    with app.app_context():
        clear_world()
        four_calls = [29 * day, 20 * day, 3 * day, 60]
        capped = Person("Europe/Paris", "consent", attempts_minutes_ago=four_calls)
        build_world(account_id, [capped], now)
        campaign_id = launch(account_id, ALWAYS, now)
        dispatch_round(campaign_id, now)
        delivery = db.session.scalar(select(Delivery).where(Delivery.campaign_id == campaign_id))
        # The oldest of the four leaves the 30 days on 27 November at 11:00 Paris time.
        assert (delivery.status, delivery.reason) == ("pending", "attempt_cap")
        assert delivery.next_attempt_at == now + timedelta(days=1)
        assert db.session.scalar(select(Attempt).where(Attempt.campaign_id == campaign_id)) is None
    items = client.get(f"{API}/campaigns/{campaign_id}/deliveries", headers=admin.headers).json
    waiting = items["items"][0]["waiting"]
    assert waiting["reason"] == "attempt_cap"
    assert waiting["text"] == (
        "attempt cap reached (4 in 30 days) until Fri 27 Nov 11:00 Europe/Paris"
    )


def test_a_due_number_the_rules_now_hold_back_says_so_as_the_next_round_does(
    app, client, admin, account_id, set_clock
):
    from voicecast.delivery.rounds import dispatch_round
    from voicecast.models import Suppression

    now = paris(2026, 11, 26, 11, 0)
    set_clock(now)
    with app.app_context():
        clear_world()
        build_world(account_id, [Person("Europe/Paris", "consent")] * 2, now)
        campaign_id = launch(account_id, ALWAYS, now)
        # Planned and due; then one number is put on the do-not-call list.
        db.session.add(Suppression(account_id=account_id, phone="+33612340001", reason="opt-out"))
        db.session.commit()
    items = client.get(f"{API}/campaigns/{campaign_id}/deliveries", headers=admin.headers).json
    waiting = {item["phone"]: item["waiting"] for item in items["items"]}
    assert waiting["+33612340000"]["reason"] == "due"
    assert waiting["+33612340001"] == {
        "reason": "suppressed",
        "until": None,
        "text": "on the do-not-call list: left out at the next round",
    }
    with app.app_context():
        dispatch_round(campaign_id, now)
        assert dialed_phones(campaign_id) == {"+33612340000"}
        left_out = db.session.scalar(
            select(Delivery).where(
                Delivery.phone == "+33612340001", Delivery.campaign_id == campaign_id
            )
        )
        assert (left_out.status, left_out.reason) == ("excluded", "suppressed")


def test_an_attempt_cap_the_account_lowered_holds_numbers_back_sooner(
    app, client, admin, account_id, set_clock
):
    from voicecast.delivery.rounds import dispatch_round

    lowered = {"calling_rules_changes": {"attempt_cap": 2, "attempt_cap_days": 60}}
    assert client.patch(f"{API}/account", headers=admin.headers, json=lowered).status_code == 200
    now = paris(2026, 11, 26, 11, 0)
    set_clock(now)  # the deliveries' page tells why they wait as of now
    day = 24 * 60
    with app.app_context():
        clear_world()
        twice = Person("Europe/Paris", "consent", attempts_minutes_ago=[45 * day, 60])
        once = Person("Europe/Paris", "consent", attempts_minutes_ago=[61 * day, 60])
        build_world(account_id, [twice, once], now)
        campaign_id = launch(account_id, ALWAYS, now)
        dispatch_round(campaign_id, now)
        # FR alone would allow both (2 attempts of 4 in 30 days): the account's 2 in 60 days
        # hold back the first until its older call leaves the 60 days.
        assert dialed_phones(campaign_id) == {"+33612340001"}
        held = db.session.scalar(
            select(Delivery).where(
                Delivery.campaign_id == campaign_id, Delivery.phone == "+33612340000"
            )
        )
        assert (held.status, held.reason) == ("pending", "attempt_cap")
        assert held.next_attempt_at == now + timedelta(days=15)
    items = client.get(f"{API}/campaigns/{campaign_id}/deliveries", headers=admin.headers).json
    waiting = {item["phone"]: item["waiting"] for item in items["items"]}["+33612340000"]
    assert (
        waiting["text"] == "attempt cap reached (2 in 60 days) until Fri 11 Dec 11:00 Europe/Paris"
    )


def test_a_pending_delivery_says_why_it_waits(app, account_id):
    from voicecast.models.campaign import Campaign, CampaignStatus
    from voicecast.rules.campaigns import rules_of
    from voicecast.rules.waiting import why_waiting

    now = paris(2026, 11, 10, 11, 0)  # planned on a Tuesday
    with app.app_context():
        clear_world()
        people = [Person("Europe/Paris", "consent"), Person("Indian/Reunion", "consent")]
        build_world(account_id, people, now)
        campaign_id = launch(account_id, ALWAYS, now)
        campaign = db.session.get(Campaign, campaign_id)
        rules = rules_of(campaign)
        deliveries = db.session.scalars(
            select(Delivery).where(Delivery.campaign_id == campaign_id).order_by(Delivery.id)
        ).all()
        evening = paris(2026, 11, 13, 20, 30)  # Friday evening
        texts = [why_waiting(d, rules, CampaignStatus.RUNNING, evening).text for d in deliveries]
        assert texts == [
            "outside calling hours until Mon 16 Nov 10:00 Europe/Paris",
            "outside calling hours until Mon 16 Nov 10:00 Indian/Reunion",
        ]
        armistice = paris(2026, 11, 11, 11, 0)
        waiting = why_waiting(deliveries[0], rules, CampaignStatus.RUNNING, armistice)
        assert waiting.text == "public holiday (Armistice Day) until Thu 12 Nov 10:00 Europe/Paris"
        assert why_waiting(deliveries[0], rules, CampaignStatus.RUNNING, now).reason == "due"
        paused = why_waiting(deliveries[0], rules, CampaignStatus.PAUSED, now)
        assert paused.text == "the campaign is paused"
        deliveries[0].attempt_count, deliveries[0].reason = 1, "retry after busy"
        deliveries[0].next_attempt_at = paris(2026, 11, 10, 19, 30)
        retry = why_waiting(deliveries[0], rules, CampaignStatus.RUNNING, now)
        assert retry.text == "retry after busy: next call Tue 10 Nov 19:30 Europe/Paris"
        deliveries[0].next_attempt_at = paris(2026, 11, 10, 20, 30)  # after hours: next day
        retry = why_waiting(deliveries[0], rules, CampaignStatus.RUNNING, now)
        assert retry.text == "retry after busy: next call Thu 12 Nov 10:00 Europe/Paris"


# --- the preview's forecast ---------------------------------------------------------------------


def test_the_last_call_is_forecast_across_closed_hours():
    schedule = Schedule.of(ALWAYS, FR)
    friday_before_one = paris(2026, 11, 27, 12, 59)
    # 100 calls at 1 per second: 60 before the lunch break, 40 after it at 14:00.
    lunch = forecast.eta(schedule, {"Europe/Paris": 100}, 1.0, friday_before_one)
    assert lunch.last_call == paris(2026, 11, 27, 14, 0, 40)
    assert lunch.pauses == (
        forecast.Pause("Europe/Paris", paris(2026, 11, 27, 13, 0), paris(2026, 11, 27, 14, 0),
                       "hours"),
    )  # fmt: skip
    friday_evening = paris(2026, 11, 27, 19, 59)
    weekend = forecast.eta(schedule, {"Europe/Paris": 100}, 1.0, friday_evening)
    assert weekend.last_call == paris(2026, 11, 30, 10, 0, 40)  # the weekend waits
    assert [(p.closes_at, p.reopens_at) for p in weekend.pauses] == [
        (paris(2026, 11, 27, 20, 0), paris(2026, 11, 30, 10, 0))
    ]
    two_zones = {"Europe/Paris": 60, "Indian/Reunion": 60}
    # Réunion opens at 07:00 Paris time: its 60 calls are done before Paris opens.
    early = forecast.eta(schedule, two_zones, 1.0, paris(2026, 11, 26, 6, 0))
    assert (early.last_call, early.pauses) == (paris(2026, 11, 26, 10, 1, 0), ())
    assert forecast.eta(schedule, {}, 1.0, friday_evening).last_call is None
    # Thursday 24 December at 19:59: Friday is Christmas Day, then the weekend.
    eve = forecast.eta(schedule, {"Europe/Paris": 100}, 1.0, paris(2026, 12, 24, 19, 59))
    assert eve.pauses[0].reopens_at == paris(2026, 12, 28, 10, 0)
    assert eve.pauses[0].closed_because == "Christmas Day"


def test_the_last_retry_waits_for_each_retry_s_window():
    schedule = Schedule.of(ALWAYS, FR)
    found = forecast.Eta(paris(2026, 11, 27, 19, 30), (), 0)  # a Friday evening
    campaign = SimpleNamespace(max_attempts=3, retry_delays_seconds=[3600, 86400])
    # 20:30 is closed: the first retry waits for Monday 10:00, the second a day more.
    retried = forecast.with_retries(found, schedule, campaign, ["Europe/Paris"])
    assert retried.last_retry == paris(2026, 12, 1, 10, 0)
    once = SimpleNamespace(max_attempts=1, retry_delays_seconds=[3600])
    assert forecast.with_retries(found, schedule, once, ["Europe/Paris"]).last_retry is None


def give_a_seller_and_message(account_id: int) -> int:
    """A seller with an active, ready voicemail message, assigned to every contact."""
    from voicecast.models import Purpose, Recording, RecordingStatus, Role, User

    seller = User(account_id=account_id, role=Role.SELLER, name="Marie")
    db.session.add(seller)
    db.session.flush()
    db.session.add(
        Recording(
            account_id=account_id, seller_id=seller.id, purpose=Purpose.VOICEMAIL, version=1,
            status=RecordingStatus.READY, active=True, original_bytes=1, duration_seconds=2.0,
        )
    )  # fmt: skip
    for person in db.session.scalars(select(Contact).where(Contact.account_id == account_id)):
        person.seller_id = seller.id
    db.session.commit()
    return seller.id


def test_the_preview_counts_times_and_prices_a_campaign(app, client, admin, account_id):
    now = datetime.now(UTC)
    with app.app_context():
        clear_world()
        people = [Person("Europe/Paris", "consent")] * 3 + [Person("Indian/Reunion", "consent")]
        people += [Person("Europe/Paris", "none"), Person("Europe/Paris", "consent", True)]
        build_world(account_id, people, now)
        give_a_seller_and_message(account_id)
    body = {"name": "E", "audience": {"kind": "all"}, "max_attempts": 2, "calls_per_second": 2}
    draft = client.post(f"{API}/campaigns", headers=admin.headers, json=body).json
    preview = client.get(f"{API}/campaigns/{draft['id']}/preview", headers=admin.headers).json
    assert (preview["audience"], preview["to_call"]) == (6, 4)
    assert preview["skipped"] == {"no_legal_basis": 1, "suppressed": 1}
    assert preview["by_time_zone"] == {"Europe/Paris": 3, "Indian/Reunion": 1}
    assert (preview["estimated_cost"], preview["max_cost"], preview["currency"]) == (
        0.2, 0.4, "EUR"
    )  # 4 calls at the default 0.05, and 8 if every attempt is used  # fmt: skip
    # The pace: 10 calls in flight of 45 s each allow 0.222 calls/s, below the 2 asked for.
    assert preview["calls_per_second"] == pytest.approx(10 / 45, abs=0.001)
    assert preview["pace"]["limited_by"] == "max_in_flight"
    earliest = datetime.fromisoformat(preview["earliest_call"])
    schedule = Schedule.of(draft["calling_window"], FR)
    assert earliest >= now - timedelta(seconds=1)
    assert schedule.is_open("Europe/Paris", earliest) or schedule.is_open(
        "Indian/Reunion", earliest
    )
    assert datetime.fromisoformat(preview["expected_last_call"]) >= earliest
    assert preview["calling_rules"]["preset"] == "FR"
    launched_already = client.post(f"{API}/campaigns/{draft['id']}/launch", headers=admin.headers)
    assert launched_already.status_code == 409  # no caller ID: nothing changed
    missing = client.get(f"{API}/campaigns/999999/preview", headers=admin.headers)
    assert_error(missing, 404)
