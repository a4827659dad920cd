"""Async answering-machine detection: no dead air for a person, the message after the beep for
a machine.

A drop is dialed with `AsyncAmd=true` and `MachineDetection=DetectMessageEnd`, so the carrier
asks for the call's TwiML the moment it is answered, before any verdict (`first_twiml`): it
plays at once what a person should hear (the message, or the seller's live variant, as the
campaign's human policy says), then asks `/held` whether to hold the line for a verdict still
to come (a person known as one is not kept on a silent line). The verdict comes
later to `/twilio/attempts/<id>/amd` (`on_verdict`), and for a machine it comes when the
greeting ends, at the beep: the live call is then redirected (`Carrier.redirect_call`) to the
voicemail message, which so starts after the beep. Whatever the first document played during
the machine's greeting was never recorded: a mailbox records from its beep, and the redirect
stops it there (the simulator's ledger measures what is left of it after the beep).

Why not stay silent until the verdict: a person's verdict takes the time they take to say
"allô" and stop (Twilio's speech-end threshold, 1.2 s by default, after their first words),
and that silence is exactly the dead air customers hate. Why not a pause first: every second
of it is dead air for a person, and does nothing for a machine, whose mailbox records only
after its beep.

The verdict is kept by the first callback only (`RECORD_VERDICT`), committed before the call
is touched: a duplicate finds it kept and does nothing (the message is never restarted). The
message the call is redirected to is marked as started only once the carrier took the redirect
(`REDIRECT_ANSWERED`): marked before, a verdict that reached us after the carrier had ended the
call (a late callback, a web node restarting; the carrier refuses the redirect, 21220) would
count a message nobody heard. While the redirect awaits the carrier's answer
(`REDIRECT_PENDING`, `redirecting_since`), a report ending the call does not decide its outcome
(`attempt_states.awaits_verdict`): the answer does, once known, so a message the mailbox cut
at once is counted cut, not failed (CI met that race). The message ends with a `<Redirect>`
the carrier follows only once it played to its end (`calls.play_message`), and that request,
not the call's duration, makes the voicemail left (`attempt_states.RECORD_MESSAGE_ENDED`): it
comes while the call is up, so before its last status report (CI met a message played in
full, counted undeliverable, when the duration and the mark decided). A call that
ended before its verdict came waits for it (`attempt_states.awaits_verdict`): a late verdict
settles it, as what the call played (nothing after a verdict it never had), and a verdict that
never comes is read from the carrier by the reconciler (RECONCILE_VERDICT_SECONDS).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from voicecast import dialects, driver_sql
from voicecast.carrier import carrier_client
from voicecast.carrier.errors import CarrierError
from voicecast.delivery import optout, reports
from voicecast.delivery.attempt_states import (
    ANSWERED_BY_MAX,
    FINAL_STATES,
    MACHINE,
    RECORD_VERDICT,
    REDIRECT_ANSWERED,
    REDIRECT_PENDING,
)
from voicecast.delivery.calls import play_message, play_then_hang_up
from voicecast.delivery.connect import connect_twiml
from voicecast.delivery.optout import escape
from voicecast.media.public_urls import public_url
from voicecast.media.signing import file_url
from voicecast.models.base import utcnow
from voicecast.models.campaign import HumanPolicy, UnknownPolicy

log = logging.getLogger(__name__)

# Twilio's MachineDetectionTimeout (s): past it, the verdict is `unknown`. Sent with each dial.
DETECTION_TIMEOUT_S = 30
# How long the line is held past the detection timeout when the first document's message ended
# before any verdict: for the verdict's callback and our redirect to arrive.
HOLD_MARGIN_S = 5

# What the call's first document plays, and what the verdict does: one joined row.
CALL_ROW = (
    "SELECT c.human_policy, c.unknown_policy, a.state, a.call_sid, u.phone,"
    " r.id, r.carrier_sha256, r.duration_seconds,"
    " lv.id, lv.carrier_sha256, lv.duration_seconds, ac.name, ac.country, ac.caller_id"
    " FROM attempts a"
    " JOIN deliveries d ON d.id = a.delivery_id JOIN campaigns c ON c.id = a.campaign_id"
    " JOIN accounts ac ON ac.id = c.account_id"
    " LEFT JOIN users u ON u.id = d.seller_id LEFT JOIN recordings r ON r.id = d.recording_id"
    " LEFT JOIN recordings lv ON lv.seller_id = d.seller_id AND lv.purpose = 'live'"
    " AND lv.active = :active"
    " WHERE a.id = :attempt_id"
)


class Message:
    """A recording to play: its id, the carrier's URL for it, its length (s)."""

    def __init__(self, recording_id: int, sha256: str | None, seconds: float | None) -> None:
        self.id = recording_id
        self.url = file_url(recording_id, "carrier", sha256)
        self.seconds = seconds or 0.0


class CallRow:
    """The attempt's row for `first_twiml` and `on_verdict`."""

    def __init__(self, row: tuple) -> None:
        (human, unknown, self.state, self.call_sid, self.seller_phone,
         rid, rsha, rsec, lid, lsha, lsec, self.business, self.country, self.account_caller_id,
         ) = row  # fmt: skip
        self.human_policy = HumanPolicy(human)
        self.unknown_policy = UnknownPolicy(unknown)
        self.voicemail = Message(rid, rsha, rsec) if rid is not None else None
        live = Message(lid, lsha, lsec) if lid is not None else None
        self.for_person = (live if self.human_policy == HumanPolicy.PLAY_LIVE else None) or (
            self.voicemail if self.human_policy in (HumanPolicy.PLAY, HumanPolicy.PLAY_LIVE)
            else None
        )  # fmt: skip


def dial_options(attempt_id: int, caller_id: str) -> dict[str, object]:
    """What `Carrier.place_call` adds for async AMD: the verdict POSTed to `/amd` (its URL
    names the number the call is placed from, for a seller it may be put through to)."""
    return {
        "async_amd": True,
        "async_amd_status_callback": public_url(
            "twilio.amd_verdict", attempt_id=attempt_id, caller=caller_id
        ),
        "async_amd_status_callback_method": "POST",
        "machine_detection_timeout": DETECTION_TIMEOUT_S,
    }


def call_row(attempt_id: int) -> CallRow | None:
    _, rows = driver_sql.execute(CALL_ROW, {"attempt_id": attempt_id, "active": True})
    return CallRow(rows[0]) if rows else None


def first_document(row: CallRow, held_url: str, attempt_id: int, caller: str | None) -> str:
    """What a person hears the moment they answer; then, at the message's end, `held_url`
    says whether to hold the line for a verdict still to come (`held_twiml`). Where the law
    asks for it (`optout.applies`), the business and its number first, and the opt-out key
    offered throughout (`caller`: the number the call comes from, which callbacks reach)."""
    message = row.for_person
    if message is None or not message.url:
        return held_twiml(None, attempt_id)
    if optout.applies(row.country):
        return identified(row, message, held_url, attempt_id, caller)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f"<Play>{escape(message.url)}</Play>"
        f'<Redirect method="POST">{escape(held_url)}</Redirect></Response>'
    )


def held_twiml(answered_by: str | None, attempt_id: int) -> str:
    """After the first document's message: a person (known as one) hears the end of the call;
    otherwise the line is held, silent, until the verdict can no longer be late (its redirect
    or hang-up ends the pause). A pause that runs out asks `/held?over=1` before hanging up
    (`held`): the verdict's redirect may have been taken by the carrier just then and never
    played."""
    if answered_by == "human":
        return play_then_hang_up(None)
    return silence_then_hold_over(attempt_id, DETECTION_TIMEOUT_S + HOLD_MARGIN_S)


def silence_then_hold_over(attempt_id: int, seconds: int) -> str:
    """`seconds` of silence, then `/held?over=1` (a redirect taken meanwhile replaces it)."""
    over_url = public_url("twilio.held", attempt_id=attempt_id, over=1)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Pause length="{seconds}"/>'
        f'<Redirect method="POST">{escape(over_url)}</Redirect></Response>'
    )


VERDICT_ROW = "SELECT answered_by, played_recording_id FROM attempts WHERE id = :attempt_id"
# The hold ran out with nothing redirected to: the call ends now, and the verdict's redirect is
# not sent from here on (`REDIRECT_PENDING` needs an attempt not ended). A redirect pending for
# longer than REDIRECT_ANSWER_S is given up (its web node died): its answer marks nothing.
HOLD_RAN_OUT = (
    "UPDATE attempts SET ended_at = COALESCE(ended_at, :now), redirecting_since = NULL"
    " WHERE id = :attempt_id AND played_recording_id IS NULL"
    " AND (redirecting_since IS NULL OR redirecting_since < :given_up)"
)
# How long a hold that ran out waits for the carrier's answer to a redirect sent just then,
# asking again every REDIRECT_WAIT_S (a few documents; the carrier's request timeout is 15 s).
REDIRECT_ANSWER_S = 15
REDIRECT_WAIT_S = 2


def held(attempt_id: int, over: bool = False) -> str | None:
    """The document for a call whose first document ended (`over`: whose hold ran out); None
    for an unknown attempt. Commits.

    The carrier asks for it only when it is not playing a redirect: so a message the verdict
    redirected the call to (marked played) that is not playing was taken by the carrier
    between two documents and dropped; it is played now. Otherwise a person hears the end of
    the call, and anyone else is held (`held_twiml`), then hung up on once the hold ran out,
    the attempt marked ended in the same statement that checks nothing was redirected to; a
    redirect sent just then is waited for (REDIRECT_WAIT_S, then the question again)."""
    _, rows = driver_sql.execute(VERDICT_ROW, {"attempt_id": attempt_id})
    if not rows:
        driver_sql.commit()
        return None
    answered_by, played = rows[0]
    if answered_by != "human" and played is not None:
        return redirected_message(attempt_id, answered_by)
    if not over or answered_by == "human":
        driver_sql.commit()
        return held_twiml(answered_by, attempt_id)
    now = utcnow()
    given_up = now - timedelta(seconds=REDIRECT_ANSWER_S)
    params = {"attempt_id": attempt_id, "now": dialects.bind_datetime(now),
              "given_up": dialects.bind_datetime(given_up)}  # fmt: skip
    ran_out, _ = driver_sql.execute(HOLD_RAN_OUT, params)
    if ran_out:
        driver_sql.commit()
        return play_then_hang_up(None)
    _, rows = driver_sql.execute(VERDICT_ROW, {"attempt_id": attempt_id})
    if rows[0][1] is not None:  # the verdict's mark came first: its message is the one to play
        return redirected_message(attempt_id, answered_by)
    driver_sql.commit()  # the verdict's redirect awaits the carrier's answer: ask again shortly
    return silence_then_hold_over(attempt_id, REDIRECT_WAIT_S)


def redirected_message(attempt_id: int, answered_by: str | None) -> str:
    """The document the verdict redirected the call to (its message). Commits."""
    row = call_row(attempt_id)
    driver_sql.commit()
    action = action_for(row, answered_by or "unknown", attempt_id, None) if row else None
    if action is None or action.twiml is None or action.twiml == Action.HANG_UP:
        return play_then_hang_up(None)
    return action.twiml


def first_twiml(attempt_id: int, caller: str | None = None) -> str | None:
    """The TwiML a call dialed with async AMD runs at pick-up (`caller`: its `From`); None for
    an unknown attempt. Reads one row; writes nothing (the verdict decides what was played).
    Commits."""
    row = call_row(attempt_id)
    driver_sql.commit()
    if row is None:
        return None
    held_url = public_url("twilio.held", attempt_id=attempt_id)
    return first_document(row, held_url, attempt_id, caller)


def person_twiml(row: CallRow, message: Message, attempt_id: int, caller: str | None) -> str:
    """`message` played to a person known as one, as the law of the account's country asks
    (`optout.applies`: identified, with the opt-out key), then the end of the call."""
    if not optout.applies(row.country):
        return play_then_hang_up(message.url)
    held_url = public_url("twilio.held", attempt_id=attempt_id)
    return identified(row, message, held_url, attempt_id, caller)


def identified(
    row: CallRow, message: Message, held_url: str, attempt_id: int, caller: str | None
) -> str:
    """The business and its number (`caller`, else the account's caller ID) said first, then
    `message`, the opt-out key offered throughout (`optout.person_document`)."""
    number = caller or row.account_caller_id or ""
    spoken = optout.intro(row.business, number, row.country)
    return optout.person_document(message.url, held_url, attempt_id, spoken, row.country)


class Action:
    """What a verdict does: the recording it counts as played, and the TwiML the live call is
    redirected to (None: leave it as it is; HANG_UP: end it)."""

    HANG_UP = "hang up"

    def __init__(self, played: Message | None, twiml: str | None) -> None:
        self.played = played
        self.twiml = twiml


def action_for(row: CallRow, answered_by: str, attempt_id: int, caller_id: str | None) -> Action:
    """The campaign's policies applied to the verdict `answered_by` (`caller_id`: the number
    the call came from, which a seller put through sees)."""
    if answered_by in MACHINE or (
        answered_by == "unknown" and row.unknown_policy == UnknownPolicy.PLAY
    ):
        message = row.voicemail
        if message is None or not message.url:
            return Action(None, Action.HANG_UP)
        return Action(message, play_message(message.url, attempt_id))
    if answered_by == "human":
        if row.human_policy == HumanPolicy.CONNECT:
            twiml = connect_twiml(attempt_id, row.seller_phone, caller_id)
            if twiml is not None:
                return Action(None, twiml)
            message = row.voicemail  # nobody to connect to: leave the message rather than hang up
            if message is None or not message.url:
                return Action(None, Action.HANG_UP)
            return Action(message, person_twiml(row, message, attempt_id, caller_id))
        if row.for_person is not None:
            return Action(row.for_person, None)  # playing since the answer
    return Action(None, Action.HANG_UP)  # a fax, `unknown` under hang_up, a person under hang_up


def on_verdict(
    attempt_id: int,
    answered_by: str,
    detection_ms: int | None,
    sid: str | None,
    caller_id: str | None = None,
) -> bool:
    """The async AMD verdict of the attempt's call, `detection_ms` after its answer: kept if it
    is the first, and acted on at once on the live call. False for an unknown attempt.
    Commits (durably) before any request to the carrier, and the message once it took one."""
    row = call_row(attempt_id)
    if row is None:
        driver_sql.commit()
        return False
    answered_by = answered_by[:ANSWERED_BY_MAX]
    action = action_for(row, answered_by, attempt_id, caller_id)
    call_over = row.state in FINAL_STATES
    # Only what needs no redirect is played already (the first document's message to a
    # person); a message the call is redirected to counts once the carrier took the redirect.
    played_now = action.played if action.twiml is None else None
    params = {
        "attempt_id": attempt_id,
        "answered_by": answered_by,
        "detection_ms": detection_ms,
        "played": played_now.id if played_now else None,
    }
    kept, _ = driver_sql.execute(RECORD_VERDICT, params)
    driver_sql.commit()
    if kept:
        reports.settle_if_awaiting(attempt_id)  # the call ended before its verdict came
    if not kept or action.twiml is None or call_over:
        return True  # a duplicate or a late verdict, nothing to change, or the call is over
    if action.played is None:  # a hang-up, a person put through: no message to count
        redirect(sid or row.call_sid, action.twiml)
    else:
        redirect_to_message(attempt_id, sid or row.call_sid, action.played.id, action.twiml)
    return True


def redirect_to_message(attempt_id: int, sid: str | None, message_id: int, twiml: str) -> None:
    """Redirect the live call to the verdict's message (`twiml`), the call's end waiting
    meanwhile for the carrier's answer: the message started if it took the redirect. Commits."""
    params = {"attempt_id": attempt_id, "now": dialects.bind_datetime(utcnow())}
    pending, _ = driver_sql.execute(REDIRECT_PENDING, params)
    driver_sql.commit()
    if not pending:
        return  # the call ended, or its hold ran out, since the verdict came
    played = message_id if redirect(sid, twiml) else None
    driver_sql.execute(REDIRECT_ANSWERED, {"attempt_id": attempt_id, "played": played})
    driver_sql.commit()
    reports.settle_if_awaiting(attempt_id)  # the call ended while the redirect was on its way


def redirect(sid: str | None, twiml: str) -> bool:
    """Act on the live call, at best; whether the carrier took it. A call that ended
    meanwhile is no fault (the carrier refuses it: 21220), and the carrier does not send the
    verdict again, so a failure is logged, not retried: the message was not played."""
    if not sid:
        return False
    try:
        if twiml == Action.HANG_UP:
            carrier_client().hang_up(sid)
        else:
            carrier_client().redirect_call(sid, twiml)
    except CarrierError as error:
        log.warning("could not act on call %s after its AMD verdict: %s", sid, error)
        return False
    return True
