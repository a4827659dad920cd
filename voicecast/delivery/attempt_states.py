"""The attempt state machine, declared once: an attempt's states, the moves allowed between
them, what each carrier report does to the attempt and to its delivery, and the SQL the fast
paths run, generated from the same declaration.

    created -> dialing -> queued -> ringing -> in-progress -> completed | busy | no-answer
                                                               | failed | canceled

An attempt only moves forward along PROGRESS, or from any state of PROGRESS to a final state;
a final state never changes. A carrier status report is applied when it moves the attempt
forward and, when it carries a SequenceNumber, is newer than the last report applied
(`report_applies`): callbacks may come twice, late or out of order, and replaying any of them
changes nothing. The AMD verdict is kept once (the first one), with when it came
(`detection_ms`) and the recording the call was told to play; async AMD's verdict may come
before or after the call's end, in any order with the status reports. When an attempt ends, its
outcome (`outcome_of`) decides its delivery, once, while the delivery is still `dialing`
(`decide`): final, or due again after a retry delay. A voicemail is left only when the call
lasted past the message's end, counted from the verdict (`message_heard_to_the_end`); shorter,
it was cut (`voicemail_cut`, retried like a no-answer under the campaign's max_attempts and
retry delays). What cannot take a message (a fax; `unknown` under hang_up) is final with what
answered as its reason (`undeliverable`).

The ORM path (`calls.apply_carrier_status`, `advance`) and the fast SQL path
(`reports.apply_status_report`, `move_sql`, `DECIDE_DELIVERY`) both read this module, and
`tests/test_attempt_state_machine.py` drives random histories through every path.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from voicecast.models import Attempt, AttemptState, DeliveryStatus
from voicecast.models.base import utcnow

# The states an attempt passes through, in order, before it ends.
PROGRESS = (
    AttemptState.CREATED,  # recorded by the dispatcher, its dial job queued
    AttemptState.DIALING,  # claimed by the dial job: the carrier request is (or was) on its way
    AttemptState.QUEUED,  # the carrier has the call
    AttemptState.RINGING,
    AttemptState.IN_PROGRESS,
)
FINAL_STATES = frozenset(
    {
        AttemptState.COMPLETED,
        AttemptState.BUSY,
        AttemptState.NO_ANSWER,
        AttemptState.FAILED,
        AttemptState.CANCELED,
    }
)
# Where the dispatcher starts an attempt, and the move the dial claim makes before dialing.
FIRST_STATE = AttemptState.CREATED
CLAIMED_STATE = AttemptState.DIALING
# The carrier holds the call: only the carrier can tell how it ends.
IN_CALL = (AttemptState.QUEUED, AttemptState.RINGING, AttemptState.IN_PROGRESS)
# Twilio's CallStatus values and the state each one reports.
CARRIER_STATES = {
    "queued": AttemptState.QUEUED,
    "initiated": AttemptState.QUEUED,
    "ringing": AttemptState.RINGING,
    "in-progress": AttemptState.IN_PROGRESS,
    "completed": AttemptState.COMPLETED,
    "busy": AttemptState.BUSY,
    "no-answer": AttemptState.NO_ANSWER,
    "failed": AttemptState.FAILED,
    "canceled": AttemptState.CANCELED,
}
# An ended attempt decides its delivery only while the delivery is in flight: a duplicate or a
# late report finds it decided already.
DELIVERY_IN_FLIGHT = DeliveryStatus.DIALING
RETRYABLE_OUTCOMES = frozenset(
    {
        DeliveryStatus.NO_ANSWER,
        DeliveryStatus.BUSY,
        DeliveryStatus.FAILED,
        DeliveryStatus.VOICEMAIL_CUT,
    }
)
ANSWERED_BY_MAX = 32  # attempts.answered_by's length
# Twilio's AnsweredBy values that mean an answering machine (`machine_start`: Enable mode).
MACHINE = frozenset(
    {"machine_end_beep", "machine_end_silence", "machine_end_other", "machine_start"}
)
# What answered and can take no message: dialing again would meet it again.
UNDELIVERABLE_ANSWERS = frozenset({"fax"})


def states_before(new: AttemptState) -> tuple[AttemptState, ...]:
    """The states an attempt may be in for `new` to be a move forward."""
    if new in FINAL_STATES:
        return PROGRESS
    return PROGRESS[: PROGRESS.index(new)]


def moves_forward(current: AttemptState, new: AttemptState) -> bool:
    return current in states_before(new)


def rank(state: AttemptState) -> int:
    """How far along an attempt in `state` is (every final state ranks last)."""
    return len(PROGRESS) if state in FINAL_STATES else PROGRESS.index(state)


def report_applies(
    state: AttemptState, last_sequence: int, new: AttemptState, sequence: int | None
) -> bool:
    """Whether a status report of `new` (with its SequenceNumber, if any) is applied to an
    attempt in `state` whose last applied report was numbered `last_sequence`. An applied
    report with a number becomes the last one; an ignored one leaves it."""
    if sequence is not None and sequence <= last_sequence:
        return False
    return moves_forward(state, new)


def advance(attempt: Attempt, new: AttemptState) -> bool:
    """Move the (ORM) attempt to `new` if that is a move forward; whether it moved. For the
    moves not reported by a numbered callback (the dial job, the reconciler)."""
    if not moves_forward(attempt.state, new):
        return False
    attempt.state = new
    return True


def apply_report(
    attempt: Attempt, new: AttemptState, sequence: int | None, error_code: int | None
) -> bool:
    """`report_applies`, applied to the (ORM) attempt; whether it moved. Does not commit."""
    if not report_applies(attempt.state, attempt.last_sequence, new, sequence):
        return False
    attempt.state = new
    if sequence is not None:
        attempt.last_sequence = sequence
    if error_code:
        attempt.error_code = error_code
    return True


def record_answer(
    attempt: Attempt,
    answered_by: str,
    played_recording_id: int | None,
    detection_ms: int | None = None,
) -> None:
    """The AMD verdict: the first one is kept (with when it came), and the recording the call
    was told to play (none: what was recorded stays). `RECORD_ANSWER` is the same in SQL."""
    if attempt.answered_by is None:
        attempt.answered_by = answered_by[:ANSWERED_BY_MAX]
        attempt.detection_ms = detection_ms
    if played_recording_id is not None:
        attempt.played_recording_id = played_recording_id


def message_heard_to_the_end(
    call_duration: int | None, detection_ms: int | None, message_seconds: float | None
) -> bool:
    """Whether a call that played a message from its AMD verdict on (`detection_ms` after the
    answer: for a machine, its beep) lasted past the message's end. The carrier's CallDuration
    is whole seconds, so a call must have lasted strictly longer than verdict + message: a cut
    within the message's last second is the only one this can miss. No duration, no proof."""
    if call_duration is None:
        return False
    return call_duration > (detection_ms or 0) / 1000 + (message_seconds or 0.0)


def outcome_of(
    state: str,
    answered_by: str | None,
    played_recording_id: int | None,
    call_duration: int | None = None,
    detection_ms: int | None = None,
    message_seconds: float | None = None,
) -> DeliveryStatus:
    """What an ended attempt achieved: the delivery status it stands for. A message played
    to a machine (or to `unknown`) counts as left only when the call outlasted it."""
    if state == AttemptState.COMPLETED:
        if answered_by == "human":
            return DeliveryStatus.HUMAN_REACHED
        if answered_by in UNDELIVERABLE_ANSWERS:
            return DeliveryStatus.UNDELIVERABLE
        if played_recording_id is not None:
            if message_heard_to_the_end(call_duration, detection_ms, message_seconds):
                return DeliveryStatus.VOICEMAIL_LEFT
            return DeliveryStatus.VOICEMAIL_CUT
        if answered_by == "unknown":
            return DeliveryStatus.UNDELIVERABLE  # the campaign hangs up on `unknown`
        return DeliveryStatus.FAILED  # a hang-up before any verdict, or no message to play
    return {
        AttemptState.BUSY: DeliveryStatus.BUSY,
        AttemptState.NO_ANSWER: DeliveryStatus.NO_ANSWER,
        AttemptState.CANCELED: DeliveryStatus.CANCELED,
    }.get(state, DeliveryStatus.FAILED)


@dataclass(frozen=True)
class Decision:
    """What becomes of a delivery when one of its attempts ends."""

    status: DeliveryStatus
    reason: str | None
    next_attempt_at: datetime | None = None


def retry_delay(attempts_made: int, retry_delays_seconds: list[int] | None) -> timedelta:
    """The wait after attempt number `attempts_made` before the next: the campaign's delays in
    turn, the last repeating (an hour when it has none)."""
    delays = retry_delays_seconds or [3600]
    return timedelta(seconds=delays[min(attempts_made - 1, len(delays) - 1)])


def outcome_reason(outcome: DeliveryStatus, answered_by: str | None) -> str | None:
    """The reason a delivery ended by `outcome` carries: what answered, for an undeliverable
    one ("fax", "unknown"); none for a voicemail left; else the outcome itself."""
    if outcome == DeliveryStatus.UNDELIVERABLE:
        return (answered_by or "unknown")[:ANSWERED_BY_MAX]
    return None if outcome == DeliveryStatus.VOICEMAIL_LEFT else outcome.value


def decide(
    outcome: DeliveryStatus,
    permanent: bool,
    attempts_made: int,
    max_attempts: int,
    retry_delays_seconds: list[int] | None,
    answered_by: str | None = None,
) -> Decision:
    """Final, or due again after the retry delay (while attempts remain and it may help)."""
    if outcome in RETRYABLE_OUTCOMES and not permanent and attempts_made < max_attempts:
        delay = retry_delay(attempts_made, retry_delays_seconds)
        return Decision(DeliveryStatus.PENDING, f"retry after {outcome.value}", utcnow() + delay)
    return Decision(outcome, outcome_reason(outcome, answered_by))


# The fast path's SQL, generated from the declaration above (portable, named parameters).


def sql_list(values: Iterable[str]) -> str:
    """`values` as an SQL list of literals (our own constants, never user input)."""
    return ", ".join(f"'{value}'" for value in values)


def move_sql(new: AttemptState, sequenced: bool) -> str:
    """UPDATE the attempt to `new` when `report_applies` (and keep the sid it was told of, the
    error code and call duration it reports and, when `sequenced`, its SequenceNumber)."""
    sql = (
        f"UPDATE attempts SET state = '{new.value}', call_sid = COALESCE(call_sid, :sid), "
        "error_code = COALESCE(:error_code, error_code),"
        " call_duration = COALESCE(:duration, call_duration)"
    )
    if sequenced:
        sql += ", last_sequence = :sequence"
    sql += f" WHERE id = :attempt_id AND state IN ({sql_list(states_before(new))})"
    return sql + (" AND last_sequence < :sequence" if sequenced else "")


MOVE_SQL = {
    (state, sequenced): move_sql(state, sequenced)
    for state in set(CARRIER_STATES.values())
    for sequenced in (True, False)
}
RECORD_ANSWER = (
    "UPDATE attempts SET detection_ms = CASE WHEN answered_by IS NULL THEN :detection_ms"
    " ELSE detection_ms END, answered_by = COALESCE(answered_by, :answered_by),"
    " played_recording_id = COALESCE(:played, played_recording_id) WHERE id = :attempt_id"
)
# Async AMD's verdict, kept by the first callback only: the one that acts on the live call
# (a duplicate or a late one changes nothing and must not play the message again).
RECORD_VERDICT = (
    "UPDATE attempts SET answered_by = :answered_by, detection_ms = :detection_ms,"
    " played_recording_id = COALESCE(:played, played_recording_id)"
    " WHERE id = :attempt_id AND answered_by IS NULL"
)
RECORD_OUTCOME = (
    "UPDATE attempts SET outcome = :outcome, ended_at = COALESCE(ended_at, :now)"
    " WHERE id = :attempt_id"
)
DECIDE_DELIVERY = (
    "UPDATE deliveries SET status = :status, reason = :reason, updated_at = :now,"
    " next_attempt_at = COALESCE(:next_attempt_at, next_attempt_at)"
    f" WHERE id = :delivery_id AND status = '{DELIVERY_IN_FLIGHT.value}'"
)
