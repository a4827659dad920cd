"""Async answering-machine detection (`AsyncAmd=true`), as Twilio runs it: the call's TwiML
is fetched and played from the answer while detection listens; the verdict is POSTed to
`AsyncAmdStatusCallback` when detection ends (for `DetectMessageEnd` and a machine: when its
greeting ends, at the beep); a call update (`Twiml` or `Url`) meanwhile redirects the live
call; a mailbox may cut the message some seconds after its beep.

The ledger says what was played when, on the call's media clock (seconds since the answer,
sped up like played audio): each `played` entry gets `started_s`, `ended_s`, `complete` and the
`document` it came from ("initial", or "update" after a redirect), and the call's `amd` entry
the verdict, when it came, the beep and any cut. `voicemail_summary` derives from them what a
mailbox recorded: the message's start against the beep, whether it was played to its end, and
how much of the first document sounded after the beep.

Rougher behaviour (wrong verdicts, long greetings, hang-ups during detection, callbacks
reordered or lost) is `rough_calls.py`'s, set per number in `roughness.py`.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from voicecast.simulator import outcomes
from voicecast.simulator.mailboxes import FAX_DETECTION_S, Mailbox

if TYPE_CHECKING:
    from voicecast.simulator.player import CallPlayer

DEFAULT_DETECTION_TIMEOUT_S = 30.0  # Twilio's MachineDetectionTimeout default
MACHINE_OUTCOMES = (outcomes.MACHINE_BEEP, outcomes.MACHINE_SILENCE, outcomes.MACHINE_OTHER)


class MediaClock:
    """Media seconds since the answer: wall time divided by play_factor x time_scale."""

    def __init__(self, play_factor: float, time_scale: float) -> None:
        self.factor = play_factor * time_scale
        self.started = time.monotonic()

    def now(self) -> float:
        elapsed = time.monotonic() - self.started
        return elapsed / self.factor if self.factor > 0 else 0.0

    def wall(self, media_seconds: float) -> float:
        return max(0.0, media_seconds * self.factor)


def detection_timeout(params: dict[str, Any]) -> float:
    try:
        return float(params.get("MachineDetectionTimeout") or DEFAULT_DETECTION_TIMEOUT_S)
    except ValueError:
        return DEFAULT_DETECTION_TIMEOUT_S


def verdict_for(outcome: str, mode: str, mailbox: Mailbox, timeout: float) -> tuple[str, float]:
    """(AnsweredBy, media seconds after the answer it is known) for an answered outcome."""
    if outcome in MACHINE_OUTCOMES:
        if mode != "DetectMessageEnd":
            return "machine_start", mailbox.human_detection_s
        if mailbox.greeting_s >= timeout:
            return outcomes.UNKNOWN, timeout  # the greeting outlasts the detection
        return outcome, mailbox.greeting_s
    if outcome == outcomes.FAX:
        return outcome, FAX_DETECTION_S
    if outcome == outcomes.UNKNOWN:
        return outcome, timeout
    return outcomes.HUMAN, mailbox.human_detection_s


def start(player: CallPlayer, outcome: str, mode: str) -> None:
    """Begin detection beside the call's TwiML: the verdict's callback, then any cut."""
    call = player.call
    mailbox, origin = player.sim.mailboxes.for_number(call.to)
    from voicecast.simulator import rough_calls  # it reads the ledger, which reads this module

    timeout = detection_timeout(call.params)
    answered_by, at = verdict_for(outcome, mode, mailbox, timeout)
    mailbox, answered_by, at = rough_calls.detection(
        player, outcome, mailbox, timeout, (answered_by, at)
    )
    beep = mailbox.greeting_s if outcome in MACHINE_OUTCOMES else None
    with player.sim.ledger.lock:
        call.amd = {
            "mode": "async",
            "far_end": outcome,
            "mailbox": {**mailbox.describe(), "origin": origin},
            "verdict": answered_by,
            "verdict_at_s": round(at, 3),
            "beep_s": round(beep, 3) if beep is not None else None,
            "verdict_sent_at_s": None,
            "cut_at_s": None,
            "first_audio_s": None,
        }
    player.sim.submit(detect, player, answered_by, at, beep, mailbox)


def detect(
    player: CallPlayer, answered_by: str, at: float, beep: float | None, mailbox: Mailbox
) -> None:
    """On a pool thread: wait for the verdict, POST it; a mailbox that cuts does so on its
    own clock, however long the verdict's webhook takes."""
    from voicecast.simulator import rough_calls

    sim, call, clock = player.sim, player.call, player.clock
    if not wait_until(player, at):
        return
    with sim.ledger.lock:
        if call.terminal or call.hangup_status:
            return  # the call ended first: Twilio sends no verdict
        call.answered_by = answered_by
        call.amd["verdict_sent_at_s"] = round(clock.now(), 3)
        url = call.params.get("AsyncAmdStatusCallback")
        method = call.params.get("AsyncAmdStatusCallbackMethod") or "POST"
    if beep is not None and mailbox.cut_after_s is not None:
        sim.submit(cut_at, player, beep + mailbox.cut_after_s)
    if url:
        params = {
            "CallSid": call.sid,
            "AccountSid": call.account_sid,
            "AnsweredBy": answered_by,
            "MachineDetectionDuration": str(round(at * 1000)),
        }
        rough_calls.send_status(player.callbacks, "amd", url, params, method)


def cut_at(player: CallPlayer, media_seconds: float) -> None:
    """On a pool thread: the mailbox cuts at `media_seconds` after the answer, if the call
    lasts that long."""
    if wait_until(player, media_seconds):
        cut(player)


def wait_until(player: CallPlayer, media_seconds: float) -> bool:
    """Sleep until the call's media clock reads `media_seconds`; False if the simulator
    stopped or the call ended meanwhile."""
    while True:
        left = player.clock.wall(media_seconds - player.clock.now())
        if player.call.terminal or player.call.hangup_status:
            return False
        if left <= 0:
            return True
        if player.sim.stopped.wait(min(left, 0.05)):
            return False


def cut(player: CallPlayer) -> None:
    """The mailbox stops recording and hangs up (full, or its maximum length reached)."""
    call = player.call
    with player.sim.ledger.lock:
        if call.terminal or call.hangup_status:
            return
        call.amd["cut_at_s"] = round(player.clock.now(), 3)
        call.notes.append("the mailbox cut the message and hung up")
        call.hangup_status = "completed"
        call.interrupt.set()


def note_play(player: CallPlayer, entry: dict[str, Any] | None, started: float, ended: float,
              complete: bool) -> None:  # fmt: skip
    """Annotate a `played` entry with when it sounded, on the media clock."""
    call = player.call
    with player.sim.ledger.lock:
        if call.amd is not None and call.amd["first_audio_s"] is None:
            call.amd["first_audio_s"] = round(started, 3)
        if entry is not None:
            entry.update(
                started_s=round(started, 3),
                ended_s=round(ended, 3),
                complete=complete,
                document=player.document,
            )


def duration(player: CallPlayer) -> int:
    """CallDuration of an answered async call: whole seconds of its media clock, rounded up."""
    return max(1, math.ceil(player.clock.now()))


def voicemail_summary(call_amd: dict[str, Any] | None, played: list[dict[str, Any]]) -> dict:
    """What the far end recorded, unless it is a person: the message (a play from a call
    update) from the beep on, or from the verdict where there was no beep (a fax, an unknown
    answer); whether it played to its end; messages that started before the beep; and seconds
    of the first document sounding after the beep."""
    summary = {"beep_s": None, "message_started_s": None, "complete_plays": 0,
               "messages_before_beep": 0, "greeting_after_beep_s": 0.0}  # fmt: skip
    if not call_amd or call_amd.get("far_end") == outcomes.HUMAN:
        return summary
    beep = call_amd.get("beep_s")
    timed = [entry for entry in played if "started_s" in entry]
    messages = [entry for entry in timed if entry["document"] == "update"]
    after = [entry for entry in messages if beep is None or entry["started_s"] >= beep]
    overlap = sum(
        max(0.0, entry["ended_s"] - max(beep, entry["started_s"]))
        for entry in timed
        if entry["document"] == "initial" and beep is not None
    )
    summary.update(
        beep_s=beep,
        message_started_s=after[0]["started_s"] if after else None,
        complete_plays=sum(1 for entry in after if entry["complete"]),
        messages_before_beep=len(messages) - len(after),
        greeting_after_beep_s=round(overlap, 3),
    )
    return summary
