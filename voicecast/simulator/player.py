"""Plays one call out: rings, decides, answers, detects the machine, follows our TwiML, ends.

Runs on a pool thread. Every wait can be cut short by the REST API (hang up, new TwiML) or by
the simulator stopping: `CallRecord.interrupt` is set and the wait raises `Interrupted`.
"""

from __future__ import annotations

import logging
import math
import time
import urllib.parse
from typing import TYPE_CHECKING, Any

from voicecast.simulator import outcomes, twiml
from voicecast.simulator.callbacks import Callbacks
from voicecast.simulator.ledger import CallRecord, iso, now
from voicecast.simulator.media import play_media

if TYPE_CHECKING:
    from voicecast.simulator.engine import Simulator

log = logging.getLogger(__name__)
MAX_DOCUMENTS = 10  # TwiML documents per call (Redirect loops end here)
AMD_MODES = {"Enable", "DetectMessageEnd"}


class Interrupted(Exception):
    """A wait was cut short: look at the call's hangup_status / redirect."""


class Aborted(Exception):
    """The simulator stopped or was reset: stop without sending anything more."""


class CallPlayer:
    """The life of one call after the CPS queue let it start."""

    def __init__(self, sim: Simulator, call: CallRecord) -> None:
        self.sim = sim
        self.call = call
        self.timings = sim.config.timings
        self.callbacks = Callbacks(sim, call)
        self.media_seconds = 0.0  # what the callee heard, in media time
        self.document_url = ""  # relative URLs in TwiML resolve against it

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
        async_amd = mode is not None and params.get("AsyncAmd") == "true"  # not "True"
        if "AsyncAmd" in params and params["AsyncAmd"] not in {"true", "false"}:
            self.warn(f"AsyncAmd={params['AsyncAmd']!r}: Twilio expects the string true or false")
        with self.sim.ledger.lock:
            self.call.answered_at = now()
            self.call.set_status("in-progress")
        self.callbacks.status("answered")
        source: dict[str, str] | None = self.initial_source()
        extra: dict[str, str] = {}
        try:
            if mode and async_amd:
                self.sim.submit(self.callbacks.async_amd, self.verdict(outcome, mode))
            elif mode:
                answered_by, detection_ms = self.verdict(outcome, mode)
                self.sleep(detection_ms / 1000)
                with self.sim.ledger.lock:
                    self.call.answered_by = answered_by
                extra = {"AnsweredBy": answered_by, "MachineDetectionDuration": str(detection_ms)}
        except Interrupted:
            source = self.take_interrupt()
        for _ in range(MAX_DOCUMENTS):
            if source is None:
                return
            verbs = self.load(source, extra)
            if verbs is None:
                return
            try:
                source = self.execute(verbs)
            except Interrupted:
                source = self.take_interrupt()
        self.warn(f"more than {MAX_DOCUMENTS} TwiML documents, hanging up")

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

    def initial_source(self) -> dict[str, str] | None:
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

    def load(self, source: dict[str, str], extra: dict[str, str]) -> list[twiml.Verb] | None:
        """Fetch (or take inline) a TwiML document and parse it; None if that failed."""
        if "twiml" in source:
            self.document_url = self.call.params.get("Url", "")
            return self.parse(source["twiml"], {"source": "inline"})
        attempts = [(source["url"], source.get("method", "POST"))]
        if source.get("fallback"):
            attempts.append((source["fallback"], source.get("fallback_method", "POST")))
        params = {**self.callbacks.call_params("in-progress"), **extra}
        for url, method in attempts:
            result = self.callbacks.request(url, params, method)
            entry = {"url": url, "method": result.method, "http_status": result.status}
            entry["elapsed_ms"] = round(result.elapsed_seconds * 1000)
            slow = result.elapsed_seconds > self.sim.config.webhook_timeout
            if result.ok and not slow:
                self.document_url = url
                verbs = self.parse(result.body.decode("utf-8", "replace"), entry)
                if verbs is not None:
                    return verbs
                continue
            with self.sim.ledger.lock:
                self.call.twiml.append({**entry, "received_at": iso(now()), "body": None})
                budget = self.sim.config.webhook_timeout
                why = result.error or f"HTTP {result.status}"
                why = f"answered after more than {budget:g} s" if result.ok else why
                self.call.error(11200, f"HTTP retrieval failure: {why}", url=url)
        return None  # Twilio says "an application error has occurred" and hangs up

    def parse(self, body: str, entry: dict[str, Any]) -> list[twiml.Verb] | None:
        with self.sim.ledger.lock:
            self.call.twiml.append({**entry, "received_at": iso(now()), "body": body})
            try:
                return twiml.parse(body)
            except twiml.TwimlError as error:
                self.call.error(12100, f"Document parse failure: {error}")
                return None

    def execute(self, verbs: list[twiml.Verb]) -> dict[str, str] | None:
        """Act on each verb; returns the next document's source for `<Redirect>`, else None."""
        for verb in verbs:
            if verb.name in {"Hangup", "Reject"}:
                return None
            if verb.name == "Redirect" and verb.text:
                url = urllib.parse.urljoin(self.document_url, verb.text)
                return {"url": url, "method": verb.attrs.get("method", "POST")}
            if verb.name == "Gather":
                self.execute([child for child in verb.children if child.name != "Gather"])
                self.ignore(verb, "no digits are pressed in the simulator")
            elif verb.name in {"Play", "Say", "Pause"}:
                self.perform(verb)
            else:
                self.ignore(verb, "not simulated")
        return None

    def perform(self, verb: twiml.Verb) -> None:
        if verb.name == "Pause":
            seconds = twiml.pause_seconds(verb)
        elif verb.name == "Say":
            seconds = twiml.say_seconds(verb) * twiml.loops(verb)
            with self.sim.ledger.lock:
                self.call.said.append({"text": verb.text, "attrs": verb.attrs, "seconds": seconds})
        else:
            url = urllib.parse.urljoin(self.document_url, verb.text) if verb.text else ""
            seconds = play_media(self.sim, self.call, verb, url) * twiml.loops(verb)
        started = time.monotonic()
        try:
            self.sleep(seconds * self.timings.play_factor)
        except Interrupted:  # cut short: count only what was heard
            factor = self.timings.play_factor * self.sim.config.time_scale
            heard = (time.monotonic() - started) / factor if factor > 0 else seconds
            self.media_seconds += min(seconds, heard)
            raise
        self.media_seconds += seconds

    def ignore(self, verb: twiml.Verb, why: str) -> None:
        with self.sim.ledger.lock:
            self.call.ignored.append({**verb.describe(), "why": why})

    # -- helpers ----------------------------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        """Wait `seconds` times time_scale, unless the call is interrupted first."""
        if self.sim.stopped.is_set():
            raise Aborted
        if self.call.interrupt.wait(max(0.0, seconds * self.sim.config.time_scale)):
            raise Interrupted

    def take_interrupt(self) -> dict[str, str] | None:
        """Consume an interrupt: None to hang up, or the source of the new TwiML."""
        with self.sim.ledger.lock:
            self.call.interrupt.clear()
            if self.call.hangup_status == "abort" or self.sim.stopped.is_set():
                raise Aborted
            if self.call.hangup_status:
                return None
            source, self.call.redirect = self.call.redirect, None
            return source

    def set_status(self, status: str) -> None:
        with self.sim.ledger.lock:
            self.call.set_status(status)

    def warn(self, text: str) -> None:
        with self.sim.ledger.lock:
            if text not in self.call.warnings:
                self.call.warnings.append(text)

    def finish(self, status: str) -> None:
        """End the call with `status` and send the `completed` event."""
        with self.sim.ledger.lock:
            if self.call.terminal or self.call.hangup_status == "abort":
                return
            answered = self.call.answered_at is not None
            self.call.end_time = now()
            self.call.duration = max(1, math.ceil(self.media_seconds)) if answered else 0
            self.call.sip_response_code = outcomes.SIP_CODES.get(status, 487)
            self.call.set_status(status)
        self.callbacks.status("completed")
