"""Property tests: whatever the moment, the contacts' time zones (one, or two when a contact's
postal code and number disagree: then both must be open), their legal basis, their
refusals, their past attempts and the do-not-call list, a dispatcher round under the FR or US
preset, or FR as an account narrowed it, claims exactly the deliveries the rules allow, no
more (never outside the contact's hours in either of its zones or on its public holiday,
never a suppressed number, never past the attempt cap, never without a legal basis) and no
fewer.

The oracle below restates the rules from ../shared/notes/compliance.md with the `holidays`
package and zoneinfo directly; it shares no code with voicecast.rules.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import create_tenant
from tests.rules_world import ALWAYS, Person, build_world, clear_world, dialed_phones, launch
from voicecast.extensions import db
from voicecast.models import Account

# Zones with their French holiday regions (None: metropolitan France's national holidays).
FRENCH_REGIONS = {
    "Europe/Paris": [None, "57", "6AE"],  # Alsace-Moselle's extra days close the whole zone
    "Indian/Reunion": ["974"],
    "America/Martinique": ["972"],
    "America/Guadeloupe": ["971"],
    "America/Cayenne": ["973"],
    "Indian/Mayotte": ["976"],
    "Pacific/Noumea": ["NC"],
    "Pacific/Tahiti": ["PF"],
}
OTHER_ZONES = [
    "America/New_York", "America/Chicago", "America/Los_Angeles", "America/Puerto_Rico",
    "Pacific/Honolulu", "Asia/Tokyo",
]  # fmt: skip
ZONES = [*FRENCH_REGIONS, *OTHER_ZONES]
BASES = [
    "none",
    "consent",
    "consent_with_proof",
    "consent_withdrawn",
    "contract_open_ended",
    "contract_ongoing",
    "contract_ended",
]
YEARS = range(2026, 2029)
DAY = 24 * 60  # minutes: whole minutes keep the oracle's boundaries exact


def zone_holidays(zone: str) -> list[set[date]]:
    return [
        set(holidays.country_holidays("FR", subdiv=region, years=YEARS))
        for region in FRENCH_REGIONS[zone]
    ]


def holiday_moments() -> st.SearchStrategy[datetime]:
    """Moments on a French public holiday of some zone, within that zone's usual calling
    hours (the cases most likely to go wrong), half of them on a holiday of only part of the
    zone (Alsace-Moselle's Good Friday and 26 December in Europe/Paris)."""
    every = sorted(
        {(day, zone) for zone in FRENCH_REGIONS for day in set().union(*zone_holidays(zone))}
    )
    partial = sorted(
        {
            (day, zone)
            for zone in FRENCH_REGIONS
            for day in set().union(*zone_holidays(zone)) - set.intersection(*zone_holidays(zone))
        }
    )
    return st.builds(
        lambda day_zone, minutes: (
            datetime.combine(day_zone[0], time(10), tzinfo=ZoneInfo(day_zone[1])).astimezone(UTC)
            + timedelta(minutes=minutes)
        ),
        st.sampled_from(every) | st.sampled_from(partial),
        st.integers(0, 10 * 60),
    )


def paris_working_hours() -> st.SearchStrategy[datetime]:
    """Moments within French calling hours in Paris (where most contacts are)."""
    return st.builds(
        lambda day, minutes: (
            datetime.combine(day, time(), tzinfo=ZoneInfo("Europe/Paris"))
            .replace(hour=10)
            .astimezone(UTC)
            + timedelta(minutes=minutes)
        ),
        st.dates(date(2026, 1, 1), date(2028, 12, 31)),
        st.integers(0, 10 * 60),
    )


moments = st.one_of(
    st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    holiday_moments(),
    paris_working_hours(),
)
people = st.builds(
    Person,
    zone=st.one_of(st.just("Europe/Paris"), st.sampled_from(ZONES)),
    # half the contacts have a second zone (a ZIP code and an area code that disagree)
    alt_zone=st.none() | st.sampled_from(ZONES),
    basis=st.sampled_from(BASES) | st.sampled_from(["consent_with_proof", "contract_ongoing"]),
    suppressed=st.sampled_from([False, False, False, True]),
    refused_minutes_ago=st.one_of(st.none(), st.integers(0, 120 * DAY)),
    attempts_minutes_ago=st.one_of(
        st.lists(st.integers(0, 45 * DAY), max_size=6),
        st.lists(st.integers(25 * DAY, 35 * DAY), min_size=3, max_size=5),  # around the cap
    ),
)
hours = st.integers(0, 23).map(lambda h: f"{h:02d}:00")
windows = st.just(ALWAYS) | st.builds(
    lambda days, start, end: {"days": days, "start": min(start, end), "end": max(start, end)},
    st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True),
    hours,
    st.sampled_from(["13:30", "20:00", "23:59"]) | hours,
).filter(lambda window: window["start"] < window["end"])


# --- the oracle -------------------------------------------------------------------------------

LAWFUL = ("consent", "consent_with_proof", "contract_open_ended", "contract_ongoing")
# Each rule set as the notes state it: weekdays (Monday = 0), hours, French public holidays,
# (attempts, days) cap, days of silence after a refusal, the bases that allow a call.
RULES = {
    "FR": {"days": range(5), "hours": [("10:00", "13:00"), ("14:00", "20:00")],
           "holidays": True, "cap": (4, 30), "silence": 60, "lawful": LAWFUL},
    "US": {"days": range(7), "hours": [("08:00", "21:00")], "holidays": False, "cap": None,
           "silence": None, "lawful": ("consent_with_proof",)},
    # FR as an account narrowed it (PATCH /account calling_rules_changes)
    "FR narrowed": {"days": range(4), "hours": [("10:00", "12:00"), ("14:00", "18:30")],
                    "holidays": True, "cap": (3, 40), "silence": 90,
                    "lawful": ("consent_with_proof",)},
}  # fmt: skip
NARROWED = {"days": [0, 1, 2, 3], "hours": [["10:00", "12:00"], ["14:00", "18:30"]],
            "attempt_cap": 3, "attempt_cap_days": 40, "silence_after_refusal_days": 90,
            "legal_basis": "written_consent"}  # fmt: skip


def oracle_open(rules: dict, window: dict, zone: str, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(zone))
    clock = local.strftime("%H:%M")
    if local.weekday() not in window["days"] or not window["start"] <= clock < window["end"]:
        return False
    if local.weekday() not in rules["days"]:
        return False
    if not any(start <= clock < end for start, end in rules["hours"]):
        return False
    if not rules["holidays"]:
        return True
    regions = FRENCH_REGIONS.get(zone, [None])
    return not any(
        local.date() in holidays.country_holidays("FR", subdiv=region, years=local.year)
        for region in regions
    )


def oracle_allows(rules: dict, window: dict, person: Person, now: datetime) -> bool:
    if person.suppressed or person.basis not in rules["lawful"]:
        return False
    if not oracle_open(rules, window, person.zone, now):
        return False
    if person.alt_zone is not None and not oracle_open(rules, window, person.alt_zone, now):
        return False
    refused = person.refused_minutes_ago
    if rules["silence"] and refused is not None and refused < rules["silence"] * DAY:
        return False
    if rules["cap"]:
        cap, days = rules["cap"]
        if sum(1 for minutes in person.attempts_minutes_ago if minutes < days * DAY) >= cap:
            return False
    return True


@pytest.fixture
def account_id(runner, client, app) -> int:
    tenant = create_tenant(runner, client, "Garage Dupont", "boss@dupont.example")
    return tenant.account_id


@pytest.mark.parametrize("preset", ["FR", "US", "FR narrowed"])
@settings(
    max_examples=200,
    deadline=None,
    database=None,
    # One account for all examples; each example clears the rest of the world first.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(now=moments, persons=st.lists(people, min_size=1, max_size=10), window=windows)
def test_a_round_claims_exactly_what_the_rules_allow(app, account_id, preset, now, persons, window):
    from voicecast.delivery.rounds import dispatch_round

    with app.app_context():
        clear_world()
        account = db.session.get(Account, account_id)
        account.calling_rules = preset.split()[0]
        account.calling_rules_changes = NARROWED if preset == "FR narrowed" else None
        by_phone = build_world(account_id, persons, now)
        campaign_id = launch(account_id, window, now)
        dispatch_round(campaign_id, now)
        dialed = dialed_phones(campaign_id)
        allowed = {
            phone for phone, person in by_phone.items()
            if oracle_allows(RULES[preset], window, person, now)
        }  # fmt: skip
        assert dialed == allowed, {
            phone: by_phone[phone] for phone in dialed.symmetric_difference(allowed)
        }
