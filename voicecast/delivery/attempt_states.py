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
(`decide`): final, or due again after a retry delay. A voicemail is left only when the carrier
proved the message played to its end: it asks for what follows the message's `<Play>`
(`message_ended_at`, `RECORD_MESSAGE_ENDED`), which it does only while the call is up, and before
it hangs up, so before the call's last status report. A message started without that proof was
cut (`voicemail_cut`, retried like a no-answer under the campaign's max_attempts and retry
delays). A message played to its end after an `unknown` verdict (Twilio's answer when a
greeting outlasts MachineDetectionTimeout) is `voicemail_unsure`: no beep was heard, so it may
have started over the greeting and the mailbox may hold only its end; final, since the next
call would meet the same greeting. What cannot take a message (a fax; `unknown` under hang_up)
is final with what answered as its reason (`undeliverable`).

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
    was told to play (none: what was recorded stays; an ended call plays nothing more, so a
    verdict coming after its end marks nothing played). `RECORD_ANSWER` is the same in SQL."""
    if attempt.answered_by is None:
        attempt.answered_by = answered_by[:ANSWERED_BY_MAX]
        attempt.detection_ms = detection_ms
    if played_recording_id is not None and attempt.state not in FINAL_STATES:
        attempt.played_recording_id = played_recording_id


def awaits_verdict(state: str, answered_by: str | None, redirecting: object = None) -> bool:
    """Whether an ended attempt's outcome waits for its AMD verdict: a call answered (it ended
    `completed`) whose verdict has not reached us, or whose verdict's redirect to the message
    has not had the carrier's answer (`redirecting`: since when; whether the message started
    hangs on it). Async AMD's callback may come after the call's end, or never (the carrier
    does not send it again): the late callback settles the attempt (`amd.on_verdict`), else the
    reconciler reads the carrier's own verdict from the call (`outcome_without_verdict`) after
    RECONCILE_VERDICT_SECONDS; so it does for a redirect whose answer never came (a web node
    killed while it waited)."""
    return state == AttemptState.COMPLETED and (answered_by is None or redirecting is not None)


def outcome_without_verdict(carriers_answered_by: str | None) -> DeliveryStatus:
    """The outcome of a call that ended before its verdict reached us, by the verdict the
    carrier kept on the call (its AnsweredBy, None if detection never ended). Nothing was
    played after a verdict, so no message was left: a person heard what the call plays at
    pick-up (`human_reached`), a fax takes nothing (`undeliverable`); anything else failed
    and is dialed again as the campaign allows."""
    if carriers_answered_by == "human":
        return DeliveryStatus.HUMAN_REACHED
    if carriers_answered_by in UNDELIVERABLE_ANSWERS:
        return DeliveryStatus.UNDELIVERABLE
    return DeliveryStatus.FAILED


def outcome_of(
    state: str,
    answered_by: str | None,
    played_recording_id: int | None,
    message_ended: bool = False,
) -> DeliveryStatus:
    """What an ended attempt achieved: the delivery status it stands for. A message played
    to a machine (or to `unknown`) counts as left only with the carrier's proof that it played
    to its end (`message_ended`: it asked for what follows it); started without it, it was cut."""
    if state == AttemptState.COMPLETED:
        if answered_by == "human":
            return DeliveryStatus.HUMAN_REACHED
        if answered_by in UNDELIVERABLE_ANSWERS:
            return DeliveryStatus.UNDELIVERABLE
        if played_recording_id is not None:  # the proof marks its message too
            if not message_ended:
                return DeliveryStatus.VOICEMAIL_CUT
            if answered_by == "unknown":
                return DeliveryStatus.VOICEMAIL_UNSURE  # no beep heard, no proof
            return DeliveryStatus.VOICEMAIL_LEFT
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
    f" played_recording_id = CASE WHEN state IN ({sql_list(FINAL_STATES)})"
    " THEN played_recording_id ELSE COALESCE(:played, played_recording_id) END"
    " WHERE id = :attempt_id"
)
# Async AMD's verdict, kept by the first callback only: the one that acts on the live call
# (a duplicate or a late one changes nothing and must not play the message again).
RECORD_VERDICT = (
    "UPDATE attempts SET answered_by = :answered_by, detection_ms = :detection_ms,"
    " played_recording_id = COALESCE(:played, played_recording_id)"
    " WHERE id = :attempt_id AND answered_by IS NULL"
)
# The verdict's redirect to the message is about to be sent: only while the call is up and its
# hold has not run out (`amd.HOLD_RAN_OUT`); the call's end then waits for its answer.
REDIRECT_PENDING = (
    "UPDATE attempts SET redirecting_since = :now"
    " WHERE id = :attempt_id AND ended_at IS NULL"
    f" AND state NOT IN ({sql_list(FINAL_STATES)})"
)
# The carrier answered the redirect: the message started if it took it (`:played`, else None).
# Only while the redirect is still pending (a hold that ran out, or the reconciler, gave up on it).
REDIRECT_ANSWERED = (
    "UPDATE attempts SET redirecting_since = NULL,"
    " played_recording_id = COALESCE(played_recording_id, :played)"
    " WHERE id = :attempt_id AND redirecting_since IS NOT NULL"
)
# The carrier asked for what follows the message: it played to its end (the recording it
# counts is the delivery's message, when no mark came first). Whatever the attempt's state: the
# request itself is the proof, and it precedes the call's end.
RECORD_MESSAGE_ENDED = (
    "UPDATE attempts SET message_ended_at = COALESCE(message_ended_at, :now),"
    " played_recording_id = COALESCE(played_recording_id,"
    " (SELECT d.recording_id FROM deliveries d WHERE d.id = attempts.delivery_id))"
    " WHERE id = :attempt_id"
)
# An answered call ended before its verdict came (`awaits_verdict`): its end kept, no outcome.
RECORD_ENDED = "UPDATE attempts SET ended_at = COALESCE(ended_at, :now) WHERE id = :attempt_id"
AWAITING_VERDICT = (
    f"SELECT id FROM attempts WHERE id = :attempt_id AND state = '{AttemptState.COMPLETED.value}'"
    " AND outcome IS NULL"
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
