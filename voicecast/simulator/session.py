"""Following TwiML on one call leg, shared by outbound calls, inbound calls and `<Dial>` legs.

A session fetches documents (signed, with the leg's parameters), acts on `<Say>`, `<Play>`,
`<Pause>`, `<Gather>`, `<Redirect>`, `<Hangup/>` and `<Reject/>`, and hands every other verb
to `other()`, which subclasses override (the inbound caller's leg adds `<Dial>` and `<Record>`).
Waits can be cut short through `CallRecord.interrupt` (hang up or new TwiML from the REST API,
or the simulator stopping): the wait raises `Interrupted`.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from voicecast.simulator import twiml
from voicecast.simulator.callbacks import Callbacks
from voicecast.simulator.ledger import CallRecord, iso, now
from voicecast.simulator.media import play_media

if TYPE_CHECKING:
    from voicecast.simulator.engine import Simulator

MAX_DOCUMENTS = 10  # TwiML documents per call leg (Redirect loops end here)
GATHER_TIMEOUT = 5.0  # Twilio's default `timeout` of <Gather>, seconds
CONTINUE = object()  # a verb's result: go on with the next verb of the document
Source = dict[str, Any]  # {"twiml": ...} or {"url", "method", optional "params", "fallback"}


class Interrupted(Exception):
    """A wait was cut short: look at the call's hangup_status / redirect."""


class KeyPressed(Interrupted):
    """The far end pressed its scripted keys: the `<Gather>` listening takes them."""


class Aborted(Exception):
    """The simulator stopped or was reset: stop without sending anything more."""


class TwimlSession:
    """One call leg following TwiML documents until one ends it."""

    def __init__(self, sim: Simulator, call: CallRecord) -> None:
        self.sim = sim
        self.call = call
        self.timings = sim.config.timings
        self.callbacks = Callbacks(sim, call)
        self.media_seconds = 0.0  # what the leg heard, in media time
        self.document_url = ""  # relative URLs in TwiML resolve against it
        self.hung_up = False  # the last document ended with <Hangup/> or <Reject/>
        self.failed = False  # a document could not be fetched or parsed
        self.after_load: list[Callable[[], None]] = []  # run once the next document is in
        self.keys_at: float | None = None  # media second of a scripted key press, in a Gather

    # -- documents ---------------------------------------------------------------------------
    def follow(self, source: Source | None, extra: dict[str, str] | None = None) -> None:
        """Fetch and run documents (from `source` on) until one ends the leg."""
        for _ in range(MAX_DOCUMENTS):
            if source is None:
                return
            verbs = self.load(source, extra or {})
            pending, self.after_load = self.after_load, []
            for task in pending:
                task()
            if verbs is None:
                return
            try:
                source = self.execute(verbs)
            except Interrupted:
                source = self.take_interrupt()
        self.warn(f"more than {MAX_DOCUMENTS} TwiML documents, hanging up")

    def webhook_status(self) -> str:
        """`CallStatus` of the leg's TwiML requests."""
        return "in-progress"

    def load(self, source: Source, extra: dict[str, str]) -> list[twiml.Verb] | None:
        """Fetch (or take inline) a TwiML document and parse it; None if that failed."""
        if "twiml" in source:
            self.document_url = self.call.params.get("Url", "")
            return self.parse(source["twiml"], {"source": "inline"})
        attempts = [(source["url"], source.get("method") or "POST")]
        if source.get("fallback"):
            attempts.append((source["fallback"], source.get("fallback_method") or "POST"))
        params = {**self.callbacks.call_params(self.webhook_status()), **extra}
        params.update(source.get("params") or {})
        for url, method in attempts:
            result = self.callbacks.request(url, params, method)
            entry = {"url": url, "method": result.method, "http_status": result.status}
            entry["elapsed_ms"] = round(result.elapsed_seconds * 1000)
            slow = result.elapsed_seconds > self.sim.config.webhook_timeout
            # Twilio tells the fallback URL what failed and where
            params = {**params, "ErrorUrl": url, "ErrorCode": "11200"}
            if result.ok and not slow:
                self.document_url = url
                verbs = self.parse(result.body.decode("utf-8", "replace"), entry)
                if verbs is not None:
                    return verbs
                params["ErrorCode"] = "12100"
                continue
            with self.sim.ledger.lock:
                self.call.twiml.append({**entry, "received_at": iso(now()), "body": None})
                budget = self.sim.config.webhook_timeout
                why = result.error or f"HTTP {result.status}"
                why = f"answered after more than {budget:g} s" if result.ok else why
                self.call.error(11200, f"HTTP retrieval failure: {why}", url=url)
        self.failed = True
        return None  # Twilio says "an application error has occurred" and hangs up

    def parse(self, body: str, entry: dict[str, Any]) -> list[twiml.Verb] | None:
        with self.sim.ledger.lock:
            self.call.twiml.append({**entry, "received_at": iso(now()), "body": body})
            try:
                return twiml.parse(body)
            except twiml.TwimlError as error:
                self.call.error(12100, f"Document parse failure: {error}")
                self.failed = True
                return None

    def resolve(self, url: str) -> str:
        """An absolute URL for `url` as written in the current document."""
        return urllib.parse.urljoin(self.document_url, url)

    def action(self, verb: twiml.Verb, params: dict[str, str]) -> Source:
        """The request a verb's `action` makes (the current document's URL by default)."""
        url = self.resolve(verb.attrs.get("action") or "") or self.document_url
        return {"url": url, "method": verb.attrs.get("method") or "POST", "params": params}

    # -- verbs -------------------------------------------------------------------------------
    def execute(self, verbs: list[twiml.Verb]) -> Source | None:
        """Act on each verb; the next document's source, or None when the leg ends."""
        self.hung_up = False
        for verb in verbs:
            step = self.run_verb(verb)
            if step is not CONTINUE:
                return step  # type: ignore[return-value]
        return None

    def run_verb(self, verb: twiml.Verb) -> Any:
        """CONTINUE, the source of the next document, or None to end the leg."""
        if verb.name in {"Hangup", "Reject"}:
            self.hung_up = True
            return None
        if verb.name == "Redirect" and verb.text:
            return {"url": self.resolve(verb.text), "method": verb.attrs.get("method", "POST")}
        if verb.name == "Gather":
            return self.gather(verb)
        if verb.name in {"Play", "Say", "Pause"}:
            self.perform(verb)
            return CONTINUE
        return self.other(verb)

    def other(self, verb: twiml.Verb) -> Any:
        """A verb this kind of leg does not act on: noted as ignored."""
        self.ignore(verb, "not simulated")
        return CONTINUE

    def press(self, verb: twiml.Verb) -> str | None:
        """The keys pressed at this `<Gather>` ("" for none), or None if nobody is there to
        press anything (the Gather is then only noted as ignored)."""
        return None

    def scripted_keys(self) -> tuple[str, float] | None:
        """The keys this leg's far end is scripted to press and when (media seconds of the
        leg), if it still has to; None: it presses nothing."""
        return None

    def gather(self, verb: twiml.Verb) -> Any:
        """Play the nested verbs, collect keys, then POST `action` or time out."""
        script = self.scripted_keys()
        if script is not None:
            return self.gather_pressing(verb, *script)
        for child in verb.children:
            if child.name in {"Say", "Play", "Pause"}:
                self.perform(child)
        pressed = self.press(verb)
        if pressed is None:
            self.ignore(verb, "no digits are pressed in the simulator")
            return CONTINUE
        digits = collect_digits(verb, pressed)
        if digits:
            with self.sim.ledger.lock:
                self.call.digits.append(digits)
            return self.action(verb, {"Digits": digits})
        self.spend(seconds_attr(verb, "timeout", GATHER_TIMEOUT))
        if verb.attrs.get("actionOnEmptyResult", "false").lower() == "true":
            return self.action(verb, {"Digits": ""})
        return CONTINUE

    def gather_pressing(self, verb: twiml.Verb, keys: str, at: float) -> Any:
        """A `<Gather>` while the far end presses `keys` at media second `at`: the nested verb
        sounding then stops there (as Twilio stops it at the first key) and `action` gets the
        digits; a press due after the Gather stopped listening is not heard by it."""
        self.keys_at = at
        try:
            for child in verb.children:
                if child.name in {"Say", "Play", "Pause"}:
                    self.perform(child)
            self.spend(seconds_attr(verb, "timeout", GATHER_TIMEOUT))
        except KeyPressed:
            digits = collect_digits(verb, keys)
            with self.sim.ledger.lock:
                self.call.digits.append(digits)
                self.call.notes.append(f"pressed {keys} at {self.media_seconds:.1f} s")
            self.pressed_keys()
            return self.action(verb, {"Digits": digits})
        finally:
            self.keys_at = None
        if verb.attrs.get("actionOnEmptyResult", "false").lower() == "true":
            return self.action(verb, {"Digits": ""})
        return CONTINUE

    def pressed_keys(self) -> None:
        """The scripted keys were pressed: not again on this leg."""

    def perform(self, verb: twiml.Verb) -> None:
        if verb.name == "Pause":
            seconds = twiml.pause_seconds(verb)
        elif verb.name == "Say":
            seconds = twiml.say_seconds(verb) * twiml.loops(verb)
            said = {"text": verb.text, "language": verb.attrs.get("language")}
            said.update(voice=verb.attrs.get("voice"), attrs=verb.attrs, seconds=seconds)
            with self.sim.ledger.lock:
                self.call.said.append(said)
        else:
            url = self.resolve(verb.text) if verb.text else ""
            seconds = play_media(self.sim, self.call, verb, url) * twiml.loops(verb)
        self.spend(seconds)

    def spend(self, seconds: float) -> None:
        """Let `seconds` of media time pass on the leg (sped up by play_factor); a scripted key
        press due meanwhile (`keys_at`) ends it there with `KeyPressed`."""
        if self.keys_at is not None and self.media_seconds + seconds >= self.keys_at:
            until_key = max(0.0, self.keys_at - self.media_seconds)
            self.spend_plainly(until_key)
            raise KeyPressed
        self.spend_plainly(seconds)

    def spend_plainly(self, seconds: float) -> None:
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

    # -- helpers -----------------------------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        """Wait `seconds` times time_scale, unless the call is interrupted first."""
        if self.sim.stopped.is_set():
            raise Aborted
        if self.call.interrupt.wait(max(0.0, seconds * self.sim.config.time_scale)):
            raise Interrupted

    def take_interrupt(self) -> Source | None:
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

    def note(self, text: str) -> None:
        with self.sim.ledger.lock:
            self.call.notes.append(text)


def seconds_attr(verb: twiml.Verb, name: str, default: float) -> float:
    """A whole-seconds attribute of `verb`, `default` if absent or unreadable."""
    try:
        return max(0.0, float(verb.attrs.get(name, default)))
    except ValueError:
        return default


def collect_digits(verb: twiml.Verb, pressed: str) -> str:
    """What `<Gather>` hands its action from the keys `pressed`: up to `numDigits`, stopping
    at `finishOnKey` (not included, "#" by default)."""
    finish = verb.attrs.get("finishOnKey", "#")
    try:
        limit = int(verb.attrs.get("numDigits", "0")) or None
    except ValueError:
        limit = None
    digits = ""
    for key in pressed:
        if finish and key == finish:
            break
        digits += key
        if limit and len(digits) >= limit:
            break
    return digits
