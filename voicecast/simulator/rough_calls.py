"""Roughness (`roughness.py`) applied to one outbound call: its status callbacks dropped, sent
twice, late or after `completed`; its AMD verdict's callback dropped, sent twice or late; its
AMD verdict wrong or `unknown` past a long greeting; its far end hanging up during detection.
Each is noted in the call's ledger entry (`rough`)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from voicecast.simulator import outcomes
from voicecast.simulator.ledger import iso, now
from voicecast.simulator.mailboxes import Mailbox
from voicecast.simulator.roughness import (
    LONG_GREETING_MARGIN_S,
    STATUS_EVENTS,
    Rough,
    misdetected,
)

if TYPE_CHECKING:
    from voicecast.simulator.callbacks import Callbacks
    from voicecast.simulator.engine import Simulator
    from voicecast.simulator.ledger import CallRecord
    from voicecast.simulator.player import CallPlayer

MACHINES = (outcomes.MACHINE_BEEP, outcomes.MACHINE_SILENCE, outcomes.MACHINE_OTHER)


def rough_of(sim: Simulator, call: CallRecord) -> Rough:
    return sim.roughness.for_number(call.to, call.outcome)[0]


def note(sim: Simulator, call: CallRecord, what: str, **details: Any) -> None:
    with sim.ledger.lock:
        call.rough.append({"what": what, "at": iso(now()), **details})


def send_status(callbacks: Callbacks, event: str, url: str, params: dict[str, str],
                method: str) -> None:  # fmt: skip
    """Send a status callback, or async AMD's verdict (`event` "amd"), as the number's
    roughness has it (plainly when it has none)."""
    sim, call = callbacks.sim, callbacks.call
    if call.direction != "outbound-api":
        return callbacks.send(event, url, params, method)
    rough = rough_of(sim, call)
    sequence = params.get("SequenceNumber")
    if event in rough.drop_callbacks:
        note(sim, call, "dropped", event=event, sequence_number=sequence)
    else:
        send_rough(callbacks, rough, event, url, params, method)
    if event == "completed":
        with sim.ledger.lock:
            held, call.held_callbacks = call.held_callbacks, []
        for item in held:
            send_copies(callbacks, *item)
    return None


def send_rough(callbacks: Callbacks, rough: Rough, event: str, url: str,
               params: dict[str, str], method: str) -> None:  # fmt: skip
    """Send an event not dropped: twice, held until `completed`, late, or plainly."""
    sim, call = callbacks.sim, callbacks.call
    sequence = params.get("SequenceNumber")
    copies = 2 if event in rough.duplicate_callbacks else 1
    if copies == 2:
        note(sim, call, "duplicated", event=event, sequence_number=sequence)
    if rough.reorder_callbacks and event in STATUS_EVENTS and event != "completed":
        note(sim, call, "held until after completed", event=event, sequence_number=sequence)
        with sim.ledger.lock:
            call.held_callbacks.append((event, url, params, method, copies))
        return None
    if event in rough.delayed_callbacks and rough.callback_delay_s > 0:
        delay = rough.callback_delay_s * sim.config.time_scale
        note(sim, call, "delayed", event=event, sequence_number=sequence, seconds=delay)
        sim.submit(send_later, callbacks, delay, (event, url, params, method, copies))
    else:
        send_copies(callbacks, event, url, params, method, copies)


def send_copies(callbacks: Callbacks, event: str, url: str, params: dict[str, str],
                method: str, copies: int) -> None:  # fmt: skip
    for _ in range(copies):
        callbacks.send(event, url, params, method)


def send_later(callbacks: Callbacks, delay: float, item: tuple) -> None:
    """On a pool thread: wait `delay` wall seconds (unless the simulator stops), then send."""
    if not callbacks.sim.stopped.wait(delay):
        send_copies(callbacks, *item)


def detection(player: CallPlayer, outcome: str, mailbox: Mailbox, timeout: float,
              verdict: tuple[str, float]) -> tuple[Mailbox, str, float]:  # fmt: skip
    """The far end's mailbox and the (AnsweredBy, at) detection gives under the number's
    roughness: a greeting outlasting the timeout, a wrong verdict; and a hang-up during
    detection scheduled."""
    sim, call = player.sim, player.call
    rough = rough_of(sim, call)
    answered_by, at = verdict
    if rough.long_greeting and answered_by in MACHINES:  # DetectMessageEnd's verdicts
        mailbox = replace(mailbox, greeting_s=timeout + LONG_GREETING_MARGIN_S)
        answered_by, at = outcomes.UNKNOWN, timeout
        note(sim, call, "greeting longer than the detection timeout", greeting_s=mailbox.greeting_s)
    if rough.detection_error:
        wrong = misdetected(answered_by, mailbox.human_detection_s)
        if wrong is not None:
            note(sim, call, "detection error", truth=answered_by, said=wrong[0])
            answered_by, at = wrong
    hang_up_at = rough.hangup_during_detection_s
    if hang_up_at is not None and hang_up_at < at:
        note(sim, call, "the far end hangs up during detection", at_s=hang_up_at)
        sim.submit(hang_up_during_detection, player, hang_up_at)
    return mailbox, answered_by, at


def hang_up_during_detection(player: CallPlayer, at_s: float) -> None:
    """On a pool thread: the far end hangs up `at_s` media seconds after the answer."""
    from voicecast.simulator.async_amd import wait_until

    if not wait_until(player, at_s):
        return
    call = player.call
    with player.sim.ledger.lock:
        if call.terminal or call.hangup_status:
            return
        call.notes.append("the far end hung up during detection")
        call.hangup_status = "completed"
        call.interrupt.set()
