"""The carrier's webhooks applied in as few statements as the rules allow.

Every call sends five webhooks (four status reports and the AMD verdict), and a drop a sixth
(the message played to its end), so they are the
service's hottest path. A status report is one conditional UPDATE generated from the state
machine's declaration (`attempt_states.MOVE_SQL`): it moves the attempt only forward (by state
and by SequenceNumber) and the database applies it atomically, so duplicates and late arrivals
change nothing however they interleave. Only the report that ends the attempt loads the rows
needed to decide the delivery (`calls.settle`, in SQL).
"""

from __future__ import annotations

import enum
import json
import logging
from typing import NamedTuple

from voicecast import dialects, driver_sql
from voicecast.delivery.attempt_states import (
    ANSWERED_BY_MAX,
    AWAITING_VERDICT,
    CARRIER_STATES,
    DECIDE_DELIVERY,
    DELIVERY_IN_FLIGHT,
    FINAL_STATES,
    MOVE_SQL,
    RECORD_ANSWER,
    RECORD_ENDED,
    RECORD_MESSAGE_ENDED,
    RECORD_OUTCOME,
    awaits_verdict,
    decide,
    outcome_of,
)
from voicecast.delivery.calls import answer_twiml, play_message, play_then_hang_up, plays_message
from voicecast.extensions import db
from voicecast.media.signing import file_url
from voicecast.models import Attempt, AttemptState
from voicecast.models.base import utcnow
from voicecast.models.campaign import HumanPolicy
from voicecast.observability.metrics import CALL_OUTCOMES, count
from voicecast.outbound import DELIVERY_FINISHED, events, sender

log = logging.getLogger(__name__)


class Report(enum.Enum):
    UNKNOWN = "unknown attempt"
    IGNORED = "stale, duplicate or not a state"
    MOVED = "moved forward"
    ENDED = "ended the attempt"


def attempt_exists(attempt_id: int) -> bool:
    _, rows = driver_sql.execute(
        "SELECT id FROM attempts WHERE id = :attempt_id", {"attempt_id": attempt_id}
    )
    return bool(rows)


def apply_status_report(
    attempt_id: int,
    status: str,
    sequence: int | None,
    error_code: int | None = None,
    sid: str | None = None,
    duration: int | None = None,
) -> tuple[Report, int | None]:
    """Apply one status callback to the attempt (with the call's duration, when it ended);
    what it did, and the campaign when it ended the attempt. Commits."""
    driver_sql.commit_without_waiting_for_disk()
    new = CARRIER_STATES.get(status)
    moved = new is not None and move_forward(attempt_id, new, sequence, error_code, sid, duration)
    if not moved:
        if sid:  # the callback can beat the dial job to recording the sid
            driver_sql.execute(
                "UPDATE attempts SET call_sid = :sid WHERE id = :attempt_id AND call_sid IS NULL",
                {"attempt_id": attempt_id, "sid": sid},
            )
        known = attempt_exists(attempt_id)
        driver_sql.commit()
        return (Report.IGNORED if known else Report.UNKNOWN), None
    if new in FINAL_STATES:
        campaign_id, event_written = settle_ended(attempt_id)
        driver_sql.commit()
        if event_written:
            sender.wake()
        return Report.ENDED, campaign_id
    driver_sql.commit()
    return Report.MOVED, None


ENDED_ROW = (
    "SELECT a.state, a.answered_by, a.played_recording_id, a.campaign_id, a.delivery_id,"
    " d.status, d.attempt_count, c.max_attempts, c.retry_delays_seconds, c.account_id,"
    " d.contact_id, d.phone, a.message_ended_at, a.redirecting_since, "
    + events.subscribed_sql(DELIVERY_FINISHED, "c.account_id")
    + " FROM attempts a"
    " JOIN deliveries d ON d.id = a.delivery_id JOIN campaigns c ON c.id = a.campaign_id"
    " WHERE a.id = :attempt_id"
)


def settle_ended(attempt_id: int) -> tuple[int, bool]:
    """`calls.settle` for the attempt the report just ended, in three statements (a fourth
    writes `delivery.finished` to the outbox when the account has an endpoint for it); returns
    its campaign's id and whether an event was written. Does not commit."""
    _, rows = driver_sql.execute(ENDED_ROW, {"attempt_id": attempt_id})
    row = EndedRow(*rows[0])
    now = dialects.bind_datetime(utcnow())
    if awaits_verdict(row.state, row.answered_by, row.redirecting_since):
        driver_sql.execute(RECORD_ENDED, {"attempt_id": attempt_id, "now": now})
        return row.campaign_id, False
    message_ended = row.message_ended_at is not None
    outcome = outcome_of(row.state, row.answered_by, row.played_recording_id, message_ended)
    count(CALL_OUTCOMES, outcome.value)
    params = {"attempt_id": attempt_id, "outcome": outcome.value, "now": now}
    driver_sql.execute(RECORD_OUTCOME, params)
    if row.status == DELIVERY_IN_FLIGHT:
        delays = row.retry_delays_seconds
        if isinstance(delays, str):  # SQLite hands JSON back as text
            delays = json.loads(delays)
        decision = decide(
            outcome, False, row.attempt_count, row.max_attempts, delays, row.answered_by
        )
        due = decision.next_attempt_at
        params = {
            "delivery_id": row.delivery_id,
            "status": decision.status.value,
            "reason": decision.reason,
            "now": now,
            "next_attempt_at": dialects.bind_datetime(due) if due else None,
        }
        decided, _ = driver_sql.execute(DECIDE_DELIVERY, params)
        if decided and row.subscribed and decision.status.final:
            data = events.delivery_data(
                row.delivery_id, row.campaign_id, row.contact_id, row.phone,
                decision.status, decision.reason, row.attempt_count, utcnow(),
            )  # fmt: skip
            written = events.emit(
                row.account_id, DELIVERY_FINISHED, row.campaign_id, data, on_driver_connection=True
            )
            return row.campaign_id, written > 0
    return row.campaign_id, False


class EndedRow(NamedTuple):
    state: str
    answered_by: str | None
    played_recording_id: int | None
    campaign_id: int
    delivery_id: int
    status: str
    attempt_count: int
    max_attempts: int
    retry_delays_seconds: list[int] | str | None
    account_id: int
    contact_id: int | None
    phone: str
    message_ended_at: object  # when the carrier proved the message played to its end
    redirecting_since: object  # the verdict's redirect awaits the carrier's answer
    subscribed: bool  # the account has an active endpoint for delivery.finished


def settle_if_awaiting(attempt_id: int) -> None:
    """Settle the attempt if its call ended waiting for the verdict just recorded
    (`attempt_states.awaits_verdict`). Commits."""
    _, rows = driver_sql.execute(AWAITING_VERDICT, {"attempt_id": attempt_id})
    event_written = bool(rows) and settle_ended(attempt_id)[1]
    driver_sql.commit()
    if event_written:
        sender.wake()


def move_forward(
    attempt_id: int,
    new: AttemptState,
    sequence: int | None,
    error_code: int | None,
    sid: str | None,
    duration: int | None = None,
) -> bool:
    params = {"attempt_id": attempt_id, "error_code": error_code or None, "sid": sid}
    params["duration"] = duration
    if sequence is not None:
        params["sequence"] = sequence
    rowcount, _ = driver_sql.execute(MOVE_SQL[new, sequence is not None], params)
    return rowcount == 1


ANSWER_ROW = (
    "SELECT c.human_policy, c.unknown_policy, r.id, r.carrier_sha256 FROM attempts a"
    " JOIN deliveries d ON d.id = a.delivery_id JOIN campaigns c ON c.id = a.campaign_id"
    " LEFT JOIN recordings r ON r.id = d.recording_id WHERE a.id = :attempt_id"
)


def answer(
    attempt_id: int, answered_by: str, detection_ms: int | None = None, caller: str | None = None
) -> str | None:
    """The TwiML for the (synchronous) AMD verdict `answered_by`, given `detection_ms` after
    the answer; None for an unknown attempt. Commits. Calls dialed with async AMD ask for
    their TwiML without a verdict: `amd.first_twiml`.

    A machine, a fax or an unknown verdict is decided from one joined row; a human reached
    under a policy that needs the seller ("connect", "play_live") takes the full path."""
    _, rows = driver_sql.execute(ANSWER_ROW, {"attempt_id": attempt_id})
    if not rows:
        driver_sql.commit()
        return None
    human_policy, unknown_policy, recording_id, carrier_sha256 = rows[0]
    if answered_by == "human" and human_policy in (HumanPolicy.CONNECT, HumanPolicy.PLAY_LIVE):
        driver_sql.commit()  # ends the read: the ORM takes it from here
        twiml = answer_twiml(db.session.get(Attempt, attempt_id), answered_by, caller)
        db.session.commit()
        return twiml
    play = plays_message(answered_by, human_policy, unknown_policy)
    url = file_url(recording_id, "carrier", carrier_sha256) if play and recording_id else None
    played = recording_id if url is not None else None
    params = {
        "attempt_id": attempt_id,
        "answered_by": answered_by[:ANSWERED_BY_MAX],
        "played": played,
        "detection_ms": detection_ms,
    }
    # Committed durably, unlike the status reports: the carrier tells a status again, never
    # what we told the call to play, and it is this mark that makes a completed call a
    # voicemail left rather than a failure to dial again (the message twice).
    driver_sql.execute(RECORD_ANSWER, params)
    driver_sql.commit()
    settle_if_awaiting(attempt_id)  # a verdict after the call's end (tests replay them so)
    return play_message(url, attempt_id)


def message_ended(attempt_id: int) -> str | None:
    """The carrier asks what follows the message (`calls.play_message`): it played to its end,
    which is the proof of a voicemail left; the call then hangs up. None for an unknown
    attempt. Commits durably: the carrier never tells it again.

    The request comes while the call is up, so before its last status report: an attempt
    already settled means that report overtook a slow answer here; it keeps its outcome (a
    cut, dialed again) and the mismatch is logged."""
    params = {"attempt_id": attempt_id, "now": dialects.bind_datetime(utcnow())}
    marked, _ = driver_sql.execute(RECORD_MESSAGE_ENDED, params)
    _, rows = driver_sql.execute(SETTLED_ROW, {"attempt_id": attempt_id})
    driver_sql.commit()
    if not marked:
        return None
    if rows and rows[0][0] is not None:
        log.warning("attempt %s: message played to its end after the call was settled (%s)",
                    attempt_id, rows[0][0])  # fmt: skip
    return play_then_hang_up(None)


SETTLED_ROW = "SELECT outcome FROM attempts WHERE id = :attempt_id"
