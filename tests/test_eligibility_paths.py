"""Property test: every path that decides whether a delivery may be called gives the same
answer, and the answer the rules give. Random contacts (consent given, withdrawn, with or
without its proof; contracts open-ended, ongoing, ending today or ended), refusals of every
age, do-not-call entries, attempt histories over several earlier deliveries to the same number
(dialed, in flight, never placed, recorded but never dialed, in another account), several
campaigns at once (running or paused, each its own window), random presets and narrowings of
them, at a random moment. For each delivery:

- planning (`plan_deliveries`) excludes it, and why, as the verdicts do, and the preview
  counts what planning wrote;
- the verdicts (`eligibility.verdicts`, a round's and the dial job's) say why it is held back;
- the dial claim (window check, then the claim statement, rolled back) succeeds exactly for
  those a dispatcher round claims, and those are the ones no rule holds back, in a running
  campaign whose window is open in the number's zone.

The expected reason comes from an oracle that restates the rules on the people themselves
(it shares no code with voicecast.rules; the windows are `test_calling_rules_properties`')."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.helpers import create_tenant
from tests.rules_world import ALWAYS, add_contact, clear_world, legal_basis_columns
from tests.test_calling_rules_properties import ZONES, moments, paris_working_hours, windows
from voicecast.extensions import db
from voicecast.models import Account, Attempt, AttemptState, Delivery
from voicecast.models.campaign import Campaign
from voicecast.rules.presets import PRESETS, WiderThanPreset, narrow

DAY = 24 * 60  # minutes
OTHER_ACCOUNT = 10**9  # deliveries carry no foreign key: another account's, to the same number
# An earlier attempt: dialed (reached the carrier, whatever came of it), in flight, settled
# never placed, recorded but never dialed; "elsewhere": dialed in another account.
KINDS = ("dialed", "in_flight", "never_placed", "not_dialed", "elsewhere")
BASES = (
    "none", "consent", "consent_with_proof", "consent_withdrawn", "contract_open_ended",
    "contract_ongoing", "contract_ends_today", "contract_ended",
)  # fmt: skip


@dataclass
class Someone:
    zone: str
    basis: str
    suppressed: bool = False
    refused_minutes_ago: int | None = None
    # (minutes ago, kind, which earlier delivery to the number: 0 or 1)
    attempts: list[tuple[int, str, int]] = field(default_factory=list)


@st.composite
def rule_sets(draw) -> tuple[str | None, dict | None]:
    """An account's preset ("FR", "US" or none) and, half the time, a narrowing of it the
    account API would accept."""
    name = draw(st.sampled_from(["FR", "FR", "US", None]))
    if name is None or draw(st.booleans()):
        return name, None
    preset = PRESETS[name]
    low, high = preset.hours[draw(st.integers(0, len(preset.hours) - 1))]
    start = draw(st.integers(low.hour, high.hour - 1))
    cap_limit = preset.attempt_cap or 6
    options = {
        "days": st.lists(st.sampled_from(sorted(preset.days)), min_size=1, unique=True),
        "hours": st.integers(start + 1, high.hour).map(
            lambda end: [[f"{start:02d}:00", f"{end:02d}:00"]]
        ),
        "public_holidays": st.just(True),
        "attempt_cap": st.integers(1, cap_limit),
        "attempt_cap_days": st.integers(preset.attempt_cap_days if preset.attempt_cap else 1, 60),
        "silence_after_refusal_days": st.integers(preset.silence_after_refusal_days or 1, 120),
        "legal_basis": st.sampled_from(["written_consent", preset.legal_basis]),
    }  # fmt: skip
    chosen = draw(st.lists(st.sampled_from(sorted(options)), min_size=1, unique=True))
    changes = {key: draw(options[key]) for key in chosen}
    try:
        narrow(preset, changes)
    except WiderThanPreset:
        return name, None
    return name, changes


someone = st.builds(
    Someone,
    zone=st.one_of(st.just("Europe/Paris"), st.sampled_from(ZONES)),
    basis=st.sampled_from(BASES) | st.sampled_from(["consent_with_proof", "contract_ongoing"]),
    suppressed=st.sampled_from([False, False, False, True]),
    refused_minutes_ago=st.sampled_from([None, None, None]) | st.integers(0, 130 * DAY),
    attempts=st.lists(
        st.tuples(st.integers(0, 70 * DAY), st.sampled_from(KINDS), st.integers(0, 1)),
        max_size=8,
    )
    # Around the cap: a few calls dialed about a month ago, and some that do not count.
    | st.lists(
        st.tuples(
            st.integers(0, 40 * DAY),
            st.sampled_from(
                ["dialed", "dialed", "dialed", "in_flight", "never_placed", "not_dialed"]
            ),
            st.integers(0, 1),
        ),
        min_size=2,
        max_size=8,
    ),
)
# Half the moments on a Monday to Thursday within French hours in Paris: rules open, mostly.
times = moments | paris_working_hours().filter(
    lambda moment: moment.astimezone(ZoneInfo("Europe/Paris")).weekday() < 4
)
campaign_states = st.sampled_from(["running", "running", "paused"])
campaigns = st.lists(st.tuples(st.just(ALWAYS) | windows, campaign_states), min_size=1, max_size=3)


# --- the oracle -------------------------------------------------------------------------------

LAWFUL = {
    "consent_or_contract": {"consent", "consent_with_proof", "contract_open_ended",
                            "contract_ongoing", "contract_ends_today"},
    "written_consent": {"consent_with_proof"},
}  # fmt: skip
COUNTED = ("dialed", "in_flight")


def missing(legal_basis: str, basis: str) -> str:
    """What a person without the preset's legal basis lacks, as the reason names it."""
    if basis == "consent_withdrawn":
        return "consent_withdrawn"
    if legal_basis == "written_consent":
        return "consent_without_proof" if basis == "consent" else "no_consent"
    return "contract_ended" if basis == "contract_ended" else "no_legal_basis"


def oracle_reason(preset, person: Someone) -> str | None:
    """Why the rules hold the number back (None: they do not): the do-not-call list, then
    under a preset the legal basis, the silence after a refusal, the attempt cap."""
    if person.suppressed:
        return "suppressed"
    if preset is None:
        return None
    if preset.legal_basis and person.basis not in LAWFUL[preset.legal_basis]:
        return missing(preset.legal_basis, person.basis)
    silence = preset.silence_after_refusal_days
    refused = person.refused_minutes_ago
    if silence and refused is not None and refused < silence * DAY:
        return "refused_recently"
    if preset.attempt_cap:
        period = preset.attempt_cap_days * DAY
        calls = [m for m, kind, _ in person.attempts if kind in COUNTED and m < period]
        if len(calls) >= preset.attempt_cap:
            return "attempt_cap"
    return None


# --- the world --------------------------------------------------------------------------------


def basis_columns(basis: str, now: datetime) -> dict:
    if basis == "contract_ends_today":
        return {"contract_kind": "lease", "contract_ends_on": now.date()}
    return legal_basis_columns(basis, now)


def new_campaign(account_id: int, name: str, status: str, window: dict) -> Campaign:
    campaign = Campaign(
        account_id=account_id, name=name, status=status, audience={"kind": "all"},
        message_policy="recording", caller_id_policy="account", human_policy="play",
        unknown_policy="play", max_attempts=3, retry_delays_seconds=[60],
        calling_window=window, calls_per_second=10.0, max_in_flight=1000,
    )  # fmt: skip
    db.session.add(campaign)
    db.session.flush()
    return campaign


def add_history(
    earlier: list[Campaign], account_id: int, phone: str, person: Someone, now: datetime
) -> None:
    """The number's earlier deliveries (in two earlier campaigns of the account, and in
    another account's) and their attempts."""
    deliveries: dict[int, Delivery] = {}
    numbers: Counter = Counter()
    for minutes, kind, which in person.attempts:
        key = 2 if kind == "elsewhere" else which
        if key not in deliveries:
            deliveries[key] = Delivery(
                campaign_id=earlier[key].id, phone=phone, status="no_answer",
                account_id=OTHER_ACCOUNT if key == 2 else account_id, next_attempt_at=None,
            )  # fmt: skip
            db.session.add(deliveries[key])
            db.session.flush()
        at = now - timedelta(minutes=minutes)
        numbers[key] += 1
        state = {"in_flight": AttemptState.RINGING, "not_dialed": AttemptState.CREATED}
        db.session.add(
            Attempt(
                delivery_id=deliveries[key].id, campaign_id=earlier[key].id, number=numbers[key],
                state=state.get(kind, AttemptState.NO_ANSWER), created_at=at,
                dialed_at=None if kind == "not_dialed" else at,
                outcome="never_placed" if kind == "never_placed" else None,
            )
        )  # fmt: skip


def build(account_id, people, plans, now) -> tuple[dict[str, Someone], list[Campaign]]:
    """The contacts, their histories, and the campaigns, each planned at `now`."""
    from voicecast.delivery.planning import plan_deliveries

    window = plans[0][0]
    earlier = [new_campaign(account_id, f"earlier {n}", "completed", window) for n in range(3)]
    by_phone = {}
    for index, person in enumerate(people):
        phone = f"+3361234{index:04d}"
        by_phone[phone] = person
        add_contact(account_id, phone, person, basis_columns(person.basis, now), now)
        add_history(earlier, account_id, phone, person, now)
    db.session.flush()
    launched = []
    for number, (window, status) in enumerate(plans):
        campaign = new_campaign(account_id, f"now {number}", status, window)
        plan_deliveries(campaign, now)
        launched.append(campaign)
    db.session.commit()
    return by_phone, launched


# --- the paths --------------------------------------------------------------------------------


def dial_claims(campaign_ids: list[int], preset, now: datetime) -> dict[int, tuple[bool, bool]]:
    """What the dial job would find for each pending delivery at `now`, once an attempt is
    recorded for it: whether the window is open (its check), whether the claim statement
    succeeds (tried whatever the window, each claim rolled back)."""
    from voicecast import dialects, driver_sql
    from voicecast.delivery.claim import claim_params, claim_sql
    from voicecast.delivery.dialing import DIAL_PLANS, window_open

    pending = db.session.scalars(
        select(Delivery).where(Delivery.campaign_id.in_(campaign_ids), Delivery.status == "pending")
    ).all()
    attempts = {
        delivery.id: Attempt(delivery_id=delivery.id, campaign_id=delivery.campaign_id,
                             number=1, state=AttemptState.CREATED)
        for delivery in pending
    }  # fmt: skip
    db.session.add_all(attempts.values())
    db.session.commit()
    ids = [attempt.id for attempt in attempts.values()]
    plans = {row.id: row for row in db.session.execute(DIAL_PLANS, {"attempt_ids": ids})}
    db.session.commit()
    sql = claim_sql(preset, dialects.name())
    found = {}
    for delivery_id, attempt in attempts.items():
        rows, _ = driver_sql.execute(sql, claim_params(attempt.id, preset, now))
        driver_sql.rollback()  # the next claim sees the same world
        found[delivery_id] = (window_open(plans[attempt.id], preset, now), rows == 1)
    db.session.execute(Attempt.__table__.delete().where(Attempt.id.in_(ids)))
    db.session.commit()
    return found


@pytest.fixture
def account_id(runner, client, app) -> int:
    return create_tenant(runner, client, "Garage Dupont", "boss@dupont.example").account_id


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    now=times,
    people=st.lists(someone, min_size=1, max_size=8),
    rules=rule_sets(),
    plans=campaigns,
)
def test_every_path_agrees_on_who_may_be_called(app, account_id, now, people, rules, plans):
    from voicecast.delivery.forecast import forecast
    from voicecast.delivery.rounds import dispatch_round
    from voicecast.rules.campaigns import rules_of
    from voicecast.rules.eligibility import verdicts

    with app.app_context():
        clear_world()
        account = db.session.get(Account, account_id)
        account.calling_rules, account.calling_rules_changes = rules
        by_phone, launched = build(account_id, people, plans, now)
        ids = [campaign.id for campaign in launched]
        preset = rules_of(launched[0]).preset
        deliveries = db.session.scalars(
            select(Delivery).where(Delivery.campaign_id.in_(ids)).order_by(Delivery.id)
        ).all()
        planned = {d.id: (d.campaign_id, d.phone, d.status.value, d.reason) for d in deliveries}
        statuses = {campaign.id: campaign.status for campaign in launched}
        said = verdicts(account_id, preset, list(planned), now)
        claims = dial_claims(ids, preset, now)
        previews = {campaign.id: forecast(campaign, now) for campaign in launched}
        db.session.commit()
        for campaign in launched:
            dispatch_round(campaign.id, now)
        dialed = select(Attempt.delivery_id).where(Attempt.campaign_id.in_(ids))
        rounds = set(db.session.scalars(dialed))

        windows_of = {campaign.id: rules_of(campaign).schedule for campaign in launched}
        for delivery_id, (campaign_id, phone, status, reason) in planned.items():
            person = by_phone[phone]
            expected = oracle_reason(preset, person)
            verdict = said.get(delivery_id)
            where = (phone, person, campaign_id, preset)
            assert (verdict.reason if verdict else None) == expected, where
            if verdict and verdict.until is not None:
                assert verdict.reason == "attempt_cap" and verdict.until > now, where
            # Planning excludes for good what the verdicts exclude for good.
            excluded = expected if expected != "attempt_cap" else None
            planning = ("excluded", excluded) if excluded else ("pending", None)
            assert (status, reason) == planning, where
            allowed = expected is None and statuses[campaign_id] == "running"
            window_open = windows_of[campaign_id].is_open(person.zone, now)
            if status == "pending":  # the dial job: its window check, then its claim
                assert claims[delivery_id] == (window_open, allowed), where
            assert (delivery_id in rounds) == (allowed and window_open), where
        for campaign_id, preview in previews.items():
            written = Counter(r for c, _, s, r in planned.values() if c == campaign_id)
            assert preview.to_call == written.pop(None, 0)
            assert preview.skipped == dict(written)
