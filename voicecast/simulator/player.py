"""Plays one outbound call out: rings, decides, answers, detects the machine, follows our
TwiML (through the shared `TwimlSession`), ends.

Runs on a pool thread. Every wait can be cut short by the REST API (hang up, new TwiML) or by
the simulator stopping: `CallRecord.interrupt` is set and the wait raises `Interrupted`.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from voicecast.simulator import async_amd, outcomes, twiml
from voicecast.simulator.ledger import now
from voicecast.simulator.media import play_media
from voicecast.simulator.outbound_dial import run_outbound_dial
from voicecast.simulator.session import Aborted, Interrupted, Source, TwimlSession

log = logging.getLogger(__name__)
AMD_MODES = {"Enable", "DetectMessageEnd"}
__all__ = ["Aborted", "CallPlayer", "Interrupted"]


class CallPlayer(TwimlSession):
    """The life of one call after the CPS queue let it start."""

    clock: async_amd.MediaClock | None = None  # from the answer, for calls with async AMD
    document = "initial"  # where the TwiML being played came from: "update" after a redirect
    keys_done = False  # the far end pressed its scripted keys already

    def run(self) -> None:
        try:
            self._run()
        except Aborted:
            pass
        except Exception as error:  # a simulator bug must not kill the pool thread silently
            log.exception("carrier simulator: call %s crashed", self.call.sid)
            with self.sim.ledger.lock:
                self.call.error(None, f"simulator error: {error!r}")
            self.finish("failed")
        finally:
            with self.sim.ledger.lock:
                self.call.settled = True

    def _run(self) -> None:
        verdict = self.sim.rules.decide(self.call.to)
        with self.sim.ledger.lock:
            self.call.outcome, self.call.rule = verdict.outcome, verdict.rule
        self.callbacks.status("initiated")
        try:
            self.sleep(self.timings.initiate)
            if verdict.outcome == outcomes.FAILED:
                return self.finish("failed")
            self.set_status("ringing")
            self.callbacks.status("ringing")
            if verdict.outcome == outcomes.BUSY:
                self.sleep(self.timings.busy)
                return self.finish("busy")
            if verdict.outcome == outcomes.NO_ANSWER:
                self.sleep(self.timings.no_answer)
                return self.finish("no-answer")
            self.sleep(self.timings.ring)
        except Interrupted:
            self.take_interrupt()
            return self.finish("canceled")
        self.converse(verdict.outcome)
        self.finish("completed")

    # -- answered ---------------------------------------------------------------------------
    def converse(self, outcome: str) -> None:
        """Answer, run AMD as asked, then follow TwiML documents until one ends the call."""
        params = self.call.params
        mode = params.get("MachineDetection")
        mode = mode if mode in AMD_MODES else None
        asynchronous = mode is not None and params.get("AsyncAmd") == "true"  # not "True"
        if "AsyncAmd" in params and params["AsyncAmd"] not in {"true", "false"}:
            self.warn(f"AsyncAmd={params['AsyncAmd']!r}: Twilio expects the string true or false")
        with self.sim.ledger.lock:
            self.call.answered_at = now()
            self.call.set_status("in-progress")
        if mode and asynchronous:
            timings = self.timings
            self.clock = async_amd.MediaClock(timings.play_factor, self.sim.config.time_scale)
            async_amd.start(self, outcome, mode)
        self.callbacks.status("answered")
        source: Source | None = self.initial_source()
        extra: dict[str, str] = {}
        try:
            if mode and not asynchronous:
                answered_by, detection_ms = self.verdict(outcome, mode)
                self.sleep(detection_ms / 1000)
                with self.sim.ledger.lock:
                    self.call.answered_by = answered_by
                extra = {"AnsweredBy": answered_by, "MachineDetectionDuration": str(detection_ms)}
        except Interrupted:
            source = self.take_interrupt()
        self.follow(source, extra)

    def verdict(self, outcome: str, mode: str) -> tuple[str, int]:
        """(AnsweredBy, detection time in ms) for an answered outcome."""
        if outcome.startswith("machine_"):
            answered_by = outcome if mode == "DetectMessageEnd" else "machine_start"
            wait = (
                self.timings.greeting
                if mode == "DetectMessageEnd"
                else self.timings.human_detection
            )
        else:
            answered_by, wait = outcome, self.timings.human_detection
        return answered_by, round(wait * 1000)

    def perform(self, verb: twiml.Verb) -> None:
        """As any leg, and for a call with async AMD, note when each `<Play>` sounded."""
        if self.clock is None or verb.name != "Play":
            return super().perform(verb)
        url = self.resolve(verb.text) if verb.text else ""
        before = len(self.call.played)
        seconds = play_media(self.sim, self.call, verb, url) * twiml.loops(verb)
        entry = self.call.played[-1] if len(self.call.played) > before else None
        started = self.clock.now()
        try:
            self.spend(seconds)
        except Interrupted:
            async_amd.note_play(self, entry, started, self.clock.now(), complete=False)
            raise
        async_amd.note_play(self, entry, started, self.clock.now(), complete=True)

    def other(self, verb: twiml.Verb) -> Any:
        """`<Dial>` rings another phone from the placed call (`outbound_dial.py`)."""
        if verb.name == "Dial":
            return run_outbound_dial(self, verb)
        return super().other(verb)

    def scripted_keys(self) -> tuple[str, float] | None:
        """A person's scripted keys (`Mailbox.presses`), once; a machine presses nothing."""
        if self.keys_done or self.call.outcome != outcomes.HUMAN:
            return None
        mailbox, _ = self.sim.mailboxes.for_number(self.call.to)
        if not mailbox.presses:
            return None
        return mailbox.presses, mailbox.presses_at_s

    def pressed_keys(self) -> None:
        self.keys_done = True

    def take_interrupt(self) -> Source | None:
        source = super().take_interrupt()
        if source is not None:
            self.document = "update"
        return source

    def initial_source(self) -> Source | None:
        params = self.call.params
        if params.get("Twiml"):
            return {"twiml": params["Twiml"]}
        if params.get("Url"):
            source = {"url": params["Url"], "method": params.get("Method") or "POST"}
            if params.get("FallbackUrl"):
                source["fallback"] = params["FallbackUrl"]
                source["fallback_method"] = params.get("FallbackMethod") or "POST"
            return source
        return None

    def finish(self, status: str) -> None:
        """End the call with `status` and send the `completed` event."""
        with self.sim.ledger.lock:
            if self.call.terminal or self.call.hangup_status == "abort":
                return
            answered = self.call.answered_at is not None
            self.call.end_time = now()
            seconds = max(1, math.ceil(self.media_seconds))
            if self.clock is not None:
                seconds = async_amd.duration(self)
            self.call.duration = seconds if answered else 0
            self.call.sip_response_code = outcomes.SIP_CODES.get(status, 487)
            self.call.set_status(status)
        self.callbacks.status("completed")
