"""Property test: whatever the carrier tells, in whatever order (status callbacks with and without
SequenceNumber, duplicates, late ones, AMD verdicts, the dial job's answer from the carrier,
the reconciler's fetches), the ORM path and the fast SQL path of the webhooks leave the
attempt and its delivery exactly alike, and an attempt never moves backward: a call's outcome
does not depend on which code received its reports.

The forward order below is restated from Twilio's call lifecycle; it shares no code with
voicecast.delivery.attempt_states.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from tests.helpers import one_contact_campaign
from voicecast.extensions import db

T0 = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)  # a Tuesday morning in Paris
SID = "CA" + "7" * 32
# Twilio's order of a call's statuses before it ends; every final status ranks last.
FORWARD = ["created", "dialing", "queued", "ringing", "in-progress"]
ENDED = ["completed", "busy", "no-answer", "failed", "canceled"]
REPORTED = {"initiated": "queued", "queued": "queued", "ringing": "ringing",
            "in-progress": "in-progress", **{status: status for status in ENDED}}  # fmt: skip
VERDICTS = ["human", "machine_end_beep", "machine_start", "fax", "unknown"]


def rank(state: str) -> int:
    return len(FORWARD) if state in ENDED else FORWARD.index(state)


statuses = st.sampled_from([*REPORTED, "bogus"])
sequences = st.none() | st.integers(0, 6)
error_codes = st.sampled_from([None, 0, 31005])
status_events = st.tuples(st.just("status"), statuses, sequences, error_codes)
answer_events = st.tuples(st.just("answer"), st.sampled_from(VERDICTS))
# The dial job records the carrier's answer to its create request.
placed_events = st.tuples(st.just("placed"), st.sampled_from(["queued", "ringing", "failed", "x"]))
# The reconciler asks the carrier (None: it has no such call).
fetch_events = st.tuples(st.just("fetch"), st.none() | st.sampled_from([*REPORTED.values()]))
any_event = st.one_of(status_events, answer_events, placed_events, fetch_events)


@st.composite
def plausible_calls(draw) -> list[tuple]:
    """A call as Twilio reports it (its ending drawn), delivered shuffled, with duplicates and
    sometimes a reconciliation fetch or a dial job's answer thrown in."""
    ending = draw(st.sampled_from(ENDED))
    events: list[tuple] = [("placed", "queued"), ("status", "initiated", 0, None),
                           ("status", "ringing", 1, None)]  # fmt: skip
    if ending == "completed":
        events += [("status", "in-progress", 2, None), ("answer", draw(st.sampled_from(VERDICTS)))]
    events.append(("status", ending, 3, 31005 if ending == "failed" else None))
    events = draw(st.permutations(events))
    extra = draw(st.lists(st.sampled_from(events) | any_event, max_size=4))
    for event in extra:
        events.insert(draw(st.integers(0, len(events))), event)
    return events


histories = plausible_calls() | st.lists(any_event, max_size=10)
policies = st.tuples(
    st.sampled_from(["play", "play_live", "connect", "hang_up"]),
    st.sampled_from(["play", "hang_up"]),
    st.integers(1, 3),
)


@dataclass
class World:
    campaign_id: int
    delivery_id: int
    attempt_id: int


@pytest.fixture
def world(app, runner, client, set_clock) -> World:
    """One delivery being dialed (its attempt claimed by the dial job), with a message."""
    from voicecast.delivery.dispatch import claim_due
    from voicecast.models import Campaign, CampaignStatus, Delivery, Recording, User

    set_clock(T0)
    campaign = one_contact_campaign(runner, client)
    with app.app_context():
        row = db.session.get(Campaign, campaign["id"])
        user = db.session.scalar(select(User).where(User.account_id == row.account_id))
        recording = Recording(account_id=row.account_id, seller_id=user.id, purpose="voicemail",
                              version=1, status="ready", active=True, original_bytes=1,
                              carrier_key="k", carrier_sha256="0" * 64)  # fmt: skip
        db.session.add(recording)
        db.session.flush()
        row.status = CampaignStatus.RUNNING  # set-up: what launching and planning do
        from voicecast.delivery.planning import plan_deliveries

        plan_deliveries(row)
        db.session.execute(
            update(Delivery).values(status="pending", reason=None, recording_id=recording.id)
        )
        db.session.commit()
        [attempt_id] = claim_due(row, T0, 10, ["Europe/Paris"], "Europe/Paris")
        delivery_id = db.session.scalar(select(Delivery.id))
    return World(campaign["id"], delivery_id, attempt_id)


def reset(world: World, human: str, unknown: str, max_attempts: int) -> None:
    """The attempt as the dial claim leaves it, under the campaign's drawn policies."""
    from voicecast.models import Attempt, Campaign, Delivery

    db.session.execute(
        update(Attempt)
        .where(Attempt.id == world.attempt_id)
        .values(state="dialing", dialed_at=T0, call_sid=None, last_sequence=-1, answered_by=None,
                played_recording_id=None, outcome=None, error_code=None, ended_at=None)
    )  # fmt: skip
    db.session.execute(
        update(Delivery)
        .where(Delivery.id == world.delivery_id)
        .values(status="dialing", reason=None, attempt_count=1, unplaced_count=0,
                next_attempt_at=T0)
    )  # fmt: skip
    db.session.execute(
        update(Campaign)
        .where(Campaign.id == world.campaign_id)
        .values(human_policy=human, unknown_policy=unknown, max_attempts=max_attempts)
    )
    db.session.commit()


class FakeCarrier:
    """What the reconciler's carrier says of the call: its status, or no call at all."""

    def __init__(self, status: str | None) -> None:
        self.status = status

    def fetch_call(self, sid):
        status = self.status or "failed"
        return SimpleNamespace(sid=sid, status=status, duration=None, answered_by=None)

    def find_calls(self, phone, since):
        found = SimpleNamespace(sid=SID, status=self.status, duration=None, answered_by=None)
        return [found] if self.status else []


def reconcile(world: World, status: str | None, monkeypatch) -> str:
    from voicecast.delivery import reconcile

    monkeypatch.setattr(reconcile, "carrier_client", lambda: FakeCarrier(status))
    done = reconcile.reconcile_campaign(world.campaign_id, now=T0 + timedelta(days=1))
    return ",".join(f"{kind}={n}" for kind, n in sorted(done.items()) if n)


def orm_path(world: World, event: tuple) -> str | None:
    """The event through the ORM (`calls`)."""
    from voicecast.delivery.calls import answer_twiml, apply_carrier_status
    from voicecast.models import Attempt

    attempt = db.session.get(Attempt, world.attempt_id)
    if event[0] == "status":
        _, status, sequence, error_code = event
        apply_carrier_status(attempt, status, sequence, error_code)
        db.session.commit()
        return None
    twiml = answer_twiml(attempt, event[1])
    db.session.commit()
    return twiml


def fast_path(world: World, event: tuple) -> str | None:
    """The event through the webhooks' fast SQL (`reports`)."""
    from voicecast.delivery import reports

    if event[0] == "status":
        _, status, sequence, error_code = event
        reports.apply_status_report(world.attempt_id, status, sequence, error_code, SID)
        return None
    return reports.answer(world.attempt_id, event[1])


PATHS = {"orm": orm_path, "fast": fast_path}


def snapshot(world: World) -> tuple:
    from voicecast.models import Attempt, Delivery

    db.session.expire_all()
    a = db.session.get(Attempt, world.attempt_id)
    d = db.session.get(Delivery, world.delivery_id)
    return (a.state.value, a.outcome, a.last_sequence, a.answered_by, a.played_recording_id,
            a.error_code, d.status.value, d.reason, d.attempt_count, d.unplaced_count,
            d.next_attempt_at)  # fmt: skip


def reply_kind(reply: str | None) -> str | None:
    """What a reply tells the call (the two paths sign their media links differently)."""
    if reply is None or not reply.startswith("<?xml"):
        return reply
    return "dial" if "<Dial" in reply else "play" if "<Play>" in reply else "hang up"


def run(app, world: World, path: str, history: list[tuple], drawn, monkeypatch) -> list:
    """The history through `path`; every snapshot and reply along the way."""
    from voicecast.delivery.dialing import record_call

    trace = []
    with app.app_context():
        reset(world, *drawn)
    for event in history:
        with app.app_context():
            if event[0] == "placed":
                reply = record_call(world.attempt_id, SID, event[1])
            elif event[0] == "fetch":
                reply = reconcile(world, event[1], monkeypatch)
            else:
                reply = PATHS[path](world, event)
            trace.append((event, reply_kind(reply), snapshot(world)))
            db.session.remove()
    return trace


def assert_only_forward(trace: list) -> None:
    before = ("dialing", "dialing")
    for event, _, after in trace:
        state, status = after[0], after[6]
        assert rank(state) >= rank(before[0]), f"{event} moved {before[0]} back to {state}"
        if before[0] in ENDED:
            assert state == before[0], f"{event} changed the ended {before[0]} to {state}"
        if before[1] != "dialing":
            assert status == before[1], f"{event} changed the decided {before[1]} to {status}"
        before = (state, status)


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    # One delivery for all examples; each example sets it back to how the dial claim left it.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories, drawn=policies)
def test_every_path_agrees_and_only_moves_forward(app, world, monkeypatch, history, drawn):
    traces = {path: run(app, world, path, history, drawn, monkeypatch) for path in PATHS}
    for trace in traces.values():
        assert_only_forward(trace)
    assert traces["orm"] == traces["fast"]


def test_a_late_report_with_a_newer_number_does_not_block_the_next_move(app, world, monkeypatch):
    # Seen apart before the state machine was declared once: the ORM path kept the number of a
    # report it ignored (a "ringing" numbered 3 while already ringing), so the next move
    # ("in-progress", numbered 2) was refused there and applied by the fast path.
    history = [("status", "ringing", 1, None), ("status", "ringing", 3, None),
               ("status", "in-progress", 2, None)]  # fmt: skip
    traces = {path: run(app, world, path, history, ("play", "play", 2), monkeypatch)
              for path in PATHS}  # fmt: skip
    assert traces["orm"] == traces["fast"]
    assert traces["fast"][-1][2][:3] == ("in-progress", None, 2)
