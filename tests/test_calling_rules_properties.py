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


def hours_open(rules: dict, window: dict, local: datetime) -> bool:
    """The campaign's window and the rules' days and hours allow `local` (local time)."""
    clock = local.strftime("%H:%M")
    if local.weekday() not in window["days"] or not window["start"] <= clock < window["end"]:
        return False
    if local.weekday() not in rules["days"]:
        return False
    return any(start <= clock < end for start, end in rules["hours"])


def oracle_open(rules: dict, window: dict, zone: str, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(zone))
    if not hours_open(rules, window, local):
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


def rounds(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        # One account for all examples; each example clears the rest of the world first.
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.mark.parametrize("preset", ["FR", "US", "FR narrowed"])
@rounds(200)
@given(now=moments, persons=st.lists(people, min_size=1, max_size=10), window=windows)
def test_a_round_claims_exactly_what_the_rules_allow(app, account_id, preset, now, persons, window):
    changes = NARROWED if preset == "FR narrowed" else None
    check_round(app, account_id, preset.split()[0], changes, persons, now, window,
                lambda person: oracle_allows(RULES[preset], window, person, now))  # fmt: skip


def check_round(
    app, account_id: int, preset: str, changes: dict | None, persons: list, now, window, allows
) -> None:
    """A dispatcher round at `now` under `preset` as `changes` narrow it dials exactly the
    `persons` the oracle `allows`."""
    dialed, by_phone = round_at(app, account_id, preset, changes, persons, now, window)
    allowed = {phone for phone, person in by_phone.items() if allows(person)}
    assert dialed == allowed, {
        phone: by_phone[phone] for phone in dialed.symmetric_difference(allowed)
    }


def round_at(
    app, account_id: int, preset: str, changes: dict | None, persons: list, now, window: dict
) -> tuple[set[str], dict[str, Person]]:
    """The numbers a dispatcher round at `now` dials, among `persons` (by phone), under
    `preset` as `changes` narrow it."""
    from voicecast.delivery.rounds import dispatch_round

    with app.app_context():
        clear_world()
        account = db.session.get(Account, account_id)
        account.calling_rules = preset
        account.calling_rules_changes = changes
        by_phone = build_world(account_id, persons, now)
        campaign_id = launch(account_id, window, now)
        dispatch_round(campaign_id, now)
        return dialed_phones(campaign_id), by_phone


# --- the US preset with state rules and dual zones (issue 22) ----------------------------------

# The states' rules as their statutes read (this test's own table; the README lists the
# sources): open hours by weekday (Monday = 0; a day absent: no calls), whether the state's
# legal holidays are closed, calls at most per rolling 24 hours.
MON_SAT = {day: ("08:00", "20:00") for day in range(6)}
EIGHT_TO_EIGHT = {day: ("08:00", "20:00") for day in range(7)}
STATUTES = {
    "AL": {"hours": MON_SAT, "holidays": True, "cap": None},
    "CT": {"hours": {day: ("09:00", "20:00") for day in range(7)}, "holidays": False, "cap": None},
    "FL": {"hours": EIGHT_TO_EIGHT, "holidays": False, "cap": 3},  # Fla. Stat. 501.616(6)
    "LA": {"hours": MON_SAT, "holidays": True, "cap": None},  # La. R.S. 45:844.12
    "MD": {"hours": EIGHT_TO_EIGHT, "holidays": False, "cap": 3},
    "MS": {"hours": MON_SAT, "holidays": False, "cap": None},  # Miss. Code 77-3-725
    "OK": {"hours": EIGHT_TO_EIGHT, "holidays": False, "cap": 3},  # 15 O.S. 775C.4
    "RI": {"hours": {**{day: ("09:00", "18:00") for day in range(5)}, 5: ("10:00", "17:00")},
           "holidays": True, "cap": None},
    # Tex. Bus. & Com. Code 301.051: 9 am-9 pm Monday to Saturday, noon-9 pm on Sunday
    "TX": {"hours": {**{day: ("09:00", "21:00") for day in range(6)}, 6: ("12:00", "21:00")},
           "holidays": False, "cap": None},
    "WA": {"hours": EIGHT_TO_EIGHT, "holidays": False, "cap": None},  # RCW 80.36.390
}  # fmt: skip
US_ZONES = [
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Puerto_Rico", "Pacific/Honolulu",
]  # fmt: skip
STATES = [*STATUTES, "CA", "NY", "PR", "GA"]  # and some without rules of their own
US_RULES = {
    "US": RULES["US"],
    # US as an account narrowed it: no Sunday, 8:30 am-8:30 pm, federal holidays, a cap.
    "US narrowed": {"days": range(6), "hours": [("08:30", "20:30")], "holidays": True,
                    "cap": (4, 2), "silence": None, "lawful": ("consent_with_proof",)},
}  # fmt: skip
US_NARROWED = {"days": [0, 1, 2, 3, 4, 5], "hours": [["08:30", "20:30"]],
               "public_holidays": True, "attempt_cap": 4, "attempt_cap_days": 2}  # fmt: skip


def local_moments(hours: list[int]) -> st.SearchStrategy[datetime]:
    """Moments within a few minutes of `hours` o'clock in a US zone: the edges of the
    windows (8 am, 8 pm, 9 pm, noon...)."""
    return st.builds(
        lambda day, zone, hour, minutes: (
            datetime.combine(day, time(hour), tzinfo=ZoneInfo(zone)).astimezone(UTC)
            + timedelta(minutes=minutes)
        ),
        st.dates(date(2026, 1, 1), date(2028, 12, 31)),
        st.sampled_from(US_ZONES),
        st.sampled_from(hours),
        st.integers(-3, 3),
    )


def state_holiday_moments() -> st.SearchStrategy[datetime]:
    """Daytime on a legal holiday of a state that closes them, or on a federal holiday."""
    days = sorted(
        {day for state in (None, "AL", "LA", "RI")
         for day in holidays.country_holidays("US", subdiv=state, years=YEARS)}
    )  # fmt: skip
    return st.builds(
        lambda day, zone, minutes: (
            datetime.combine(day, time(9), tzinfo=ZoneInfo(zone)).astimezone(UTC)
            + timedelta(minutes=minutes)
        ),
        st.sampled_from(days),
        st.sampled_from(US_ZONES),
        st.integers(0, 10 * 60),
    )


us_moments = st.one_of(
    st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    local_moments([7, 8, 9, 10, 12, 17, 18, 20, 21]),
    state_holiday_moments(),
)
us_people = st.builds(
    Person,
    zone=st.sampled_from(US_ZONES),
    # half have a second zone (a ZIP code and an area code that disagree)
    alt_zone=st.none() | st.sampled_from(US_ZONES),
    # one state, two when the ZIP code (or the file's state) and the area code disagree
    regions=st.none()
    | st.lists(st.sampled_from(STATES), min_size=1, max_size=3, unique=True).map(" ".join),
    basis=st.sampled_from(["consent_with_proof", "consent_with_proof", "consent", "none"]),
    suppressed=st.sampled_from([False, False, False, True]),
    attempts_minutes_ago=st.one_of(
        st.lists(st.integers(0, 3 * DAY), max_size=6),
        st.lists(st.integers(20 * 60, 28 * 60), min_size=2, max_size=5),  # around 24 hours
    ),
)


def us_open(rules: dict, window: dict, zone: str, states: list[str], now: datetime) -> bool:
    """The campaign's window, the preset's hours and days (and federal holidays, when the
    account closed them) and every state's statute, read in `zone`."""
    local = now.astimezone(ZoneInfo(zone))
    clock, day = local.strftime("%H:%M"), local.date()
    if not hours_open(rules, window, local):
        return False
    if rules["holidays"] and day in holidays.country_holidays("US", years=day.year):
        return False
    for state in states:
        statute = STATUTES.get(state)
        if statute is None:
            continue
        hours = statute["hours"].get(local.weekday())
        if hours is None or not hours[0] <= clock < hours[1]:
            return False
        if statute["holidays"] and day in holidays.country_holidays(
            "US", subdiv=state, years=day.year
        ):
            return False
    return True


def us_allows(rules: dict, window: dict, person: Person, now: datetime) -> bool:
    """A call may be placed to `person` at `now`: in every one of its zones, every rule that
    applies is open (its states' each read in each zone), and no cap is reached."""
    if person.suppressed or person.basis not in rules["lawful"]:
        return False
    states = (person.regions or "").split()
    zones = [person.zone] + ([person.alt_zone] if person.alt_zone else [])
    if not all(us_open(rules, window, zone, states, now) for zone in zones):
        return False
    ago = person.attempts_minutes_ago
    if rules["cap"]:
        cap, days = rules["cap"]
        if sum(1 for minutes in ago if minutes < days * DAY) >= cap:
            return False
    for state in states:
        cap = STATUTES.get(state, {}).get("cap")
        if cap and sum(1 for minutes in ago if minutes < DAY) >= cap:
            return False
    return True


@pytest.mark.parametrize("preset", ["US", "US narrowed"])
@rounds(150)
@given(now=us_moments, persons=st.lists(us_people, min_size=1, max_size=10), window=windows)
def test_a_us_round_keeps_every_state_s_hours_and_caps_in_both_zones(
    app, account_id, preset, now, persons, window
):
    changes = US_NARROWED if preset == "US narrowed" else None
    check_round(app, account_id, "US", changes, persons, now, window,
                lambda person: us_allows(US_RULES[preset], window, person, now))  # fmt: skip
