"""`<Dial>` on an inbound call: ring another phone on a child leg, play it the `<Number url>`
whisper, bridge the two legs or not, and report the outcome to the Dial's `action`.

How the dialed phone behaves comes from the scenario's `seller`: `answers` (picks up after
SELLER_ANSWERS_AFTER seconds of ringing, hears the whisper, presses `seller_presses` at its
first `<Gather>`), `voicemail` (its own voicemail picks up and presses nothing), `no-answer`
(rings until the Dial's timeout), `busy`. With several `<Number>`s every phone behaves alike,
the first one wins the race and the others are canceled, as Twilio hangs up the losers.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from voicecast.simulator import outcomes, twiml
from voicecast.simulator.callbacks import Callbacks
from voicecast.simulator.ledger import CallRecord, new_sid, now
from voicecast.simulator.resource import E164
from voicecast.simulator.session import CONTINUE, Source, TwimlSession, seconds_attr

if TYPE_CHECKING:
    from voicecast.simulator.inbound import InboundCall

# Media seconds of ringing before each outcome (sped up by play_factor like played audio).
SELLER_ANSWERS_AFTER = 4.0
BUSY_AFTER = 1.0
CALLER_PATIENCE = 3.0  # `caller_hangs_up: while_ringing` hangs up after this much ringing
DIAL_TIMEOUT = 30.0
TIME_LIMIT = 14_400.0
WHISPER_VERBS = {"Play", "Say", "Pause", "Gather", "Hangup", "Redirect"}
RECORDING_MODES = {"true", "record-from-answer", "record-from-ringing"}
RECORDING_MODES |= {"record-from-answer-dual", "record-from-ringing-dual"}


class WhisperLeg(TwimlSession):
    """The dialed phone's leg: runs the `<Number url>` document before any bridge."""

    def __init__(self, parent: InboundCall, leg: CallRecord, presses: str) -> None:
        super().__init__(parent.sim, leg)
        self.presses = presses
        self.gathered = False

    def run_verb(self, verb: twiml.Verb) -> Any:
        if verb.name not in WHISPER_VERBS:
            self.ignore(verb, "not allowed in a <Number url> document")
            return CONTINUE
        return super().run_verb(verb)

    def press(self, verb: twiml.Verb) -> str:
        first, self.gathered = not self.gathered, True
        return self.presses if first else ""

    def whisper(self, source: Source | None) -> bool:
        """Answer, follow the whisper; True if the legs are to be bridged."""
        with self.sim.ledger.lock:
            self.call.answered_at = now()
            self.call.set_status("in-progress")
        self.callbacks.status("answered")
        self.follow(source)
        return not (self.hung_up or self.failed)


def dialed_numbers(verb: twiml.Verb) -> list[tuple[str, dict[str, str]]]:
    """(number, <Number> attributes) to dial: each `<Number>`, or the Dial's own text."""
    nouns = [(child.text, child.attrs) for child in verb.children if child.name == "Number"]
    if not nouns and verb.text:
        nouns = [(verb.text, {})]
    return nouns


def new_leg(parent: InboundCall, to: str, caller_id: str, attrs: dict[str, str]) -> CallRecord:
    """A child call in the ledger, `initiated` then `ringing` (with the Number's callbacks)."""
    call = parent.call
    params: dict[str, Any] = {"From": caller_id, "To": to}
    if attrs.get("statusCallback"):
        params["StatusCallback"] = parent.resolve(attrs["statusCallback"])
        params["StatusCallbackMethod"] = attrs.get("statusCallbackMethod") or "POST"
        params["StatusCallbackEvent"] = attrs.get("statusCallbackEvent", "completed")
    leg = CallRecord(new_sid(), call.account_sid, to, caller_id, params)
    leg.direction, leg.parent_call_sid = "outbound-dial", call.sid
    leg.start_time = now()
    parent.sim.ledger.add(leg)
    callbacks = Callbacks(parent.sim, leg)
    callbacks.status("initiated")
    with parent.sim.ledger.lock:
        leg.set_status("ringing")
    callbacks.status("ringing")
    return leg


def end_leg(parent: InboundCall, leg: CallRecord, status: str, seconds: float) -> None:
    with parent.sim.ledger.lock:
        if leg.terminal:
            return
        leg.end_time = now()
        leg.duration = max(1, math.ceil(seconds)) if leg.answered_at else 0
        leg.sip_response_code = outcomes.SIP_CODES.get(status, 487)
        leg.set_status(status)
    Callbacks(parent.sim, leg).status("completed")
    with parent.sim.ledger.lock:
        leg.settled = True


def end_unfinished_legs(parent: InboundCall) -> None:
    """End the `<Dial>` legs a hang-up from the REST API cut short (the caller's leg ends)."""
    for leg in parent.sim.ledger.all():
        if leg.parent_call_sid == parent.call.sid and not leg.terminal:
            end_leg(parent, leg, "completed" if leg.answered_at else "canceled", 0)


def run_dial(parent: InboundCall, verb: twiml.Verb) -> Any:
    """Act on `<Dial>` for the caller's leg: CONTINUE, the action's source, or None (end)."""
    nouns = dialed_numbers(verb)
    if not nouns:
        parent.ignore(verb, "nothing to dial: only <Number> or a number as text is simulated")
        return CONTINUE
    scenario = parent.scenario
    caller_id = verb.attrs.get("callerId") or parent.call.from_
    timeout = seconds_attr(verb, "timeout", DIAL_TIMEOUT)
    legs = [new_leg(parent, number, caller_id, attrs) for number, attrs in nouns]
    first, (_, first_attrs) = legs[0], nouns[0]
    bridged, whisper, talk, heard = False, None, 0.0, 0.0
    if not all(E164.match(leg.to) for leg in legs):
        with parent.sim.ledger.lock:
            parent.call.error(13223, "Dial: invalid phone number format", to=first.to)
        dial_status, leg_status = "failed", "failed"
    elif scenario.caller_hangs_up == "while_ringing":
        parent.spend(min(timeout, CALLER_PATIENCE))
        parent.caller_gone = True
        dial_status, leg_status = "canceled", "canceled"
    elif scenario.seller == "busy":
        parent.spend(min(timeout, BUSY_AFTER))
        dial_status, leg_status = "busy", "busy"
    elif scenario.seller == "no-answer" or timeout < SELLER_ANSWERS_AFTER:
        parent.spend(timeout)
        dial_status, leg_status = "no-answer", "no-answer"
    else:
        parent.spend(SELLER_ANSWERS_AFTER)
        whisper = WhisperLeg(parent, first, scenario.keys_of_seller)
        url = first_attrs.get("url")
        source = None
        if url:
            source = {"url": parent.resolve(url), "method": first_attrs.get("method") or "POST"}
        bridged = whisper.whisper(source)
        heard = whisper.media_seconds
        parent.media_seconds += heard  # the caller waits (rings) while the whisper plays
        if bridged:
            talk = min(scenario.talk_seconds, seconds_attr(verb, "timeLimit", TIME_LIMIT))
            parent.spend(talk)
            dial_status = "completed"
        else:
            # Twilio does not document the DialCallStatus of a dialed leg whose whisper hangs
            # up before the bridge (its docs define `completed` as "answered and connected to
            # the caller"): the simulator reports `no-answer`, with DialBridged=false.
            dial_status = "no-answer"
        leg_status = "completed"
    end_leg(parent, first, leg_status, heard + talk)
    for loser in legs[1:]:
        end_leg(parent, loser, "canceled" if leg_status == "completed" else leg_status, 0)
    params = {
        "DialCallStatus": dial_status,
        "DialCallSid": first.sid,
        "DialCallDuration": str(first.duration or 0),
        "DialBridged": "true" if bridged else "false",
    }
    recording = None
    if bridged and verb.attrs.get("record", "do-not-record") in RECORDING_MODES:
        channels = 2 if verb.attrs["record"].endswith("-dual") else 1
        recording = parent.store_recording(max(1, math.ceil(talk)), "DialVerb", channels)
        params.update(
            RecordingUrl=recording.url(parent.base_url),
            RecordingSid=recording.sid,
            RecordingDuration=str(recording.duration),
        )
    note_dial(parent, verb, legs, params, bridged, whisper)
    if recording:
        parent.recording_callback(verb, recording)
    if verb.attrs.get("action"):
        source = parent.action(verb, params)
        if parent.caller_gone:
            parent.notify(source)
            return None
        return source
    if parent.caller_gone or bridged:
        return None  # the call ends with the bridge (or with the caller)
    return CONTINUE


def note_dial(
    parent: InboundCall,
    verb: twiml.Verb,
    legs: list[CallRecord],
    params: dict[str, str],
    bridged: bool,
    whisper: WhisperLeg | None,
) -> None:
    """The `dials` entry of the caller's leg."""
    first = legs[0]
    with parent.sim.ledger.lock:
        entry: dict[str, Any] = {
            "sid": first.sid,
            "to": first.to,
            "caller_id": first.from_,
            "status": first.status,
            "dial_call_status": params["DialCallStatus"],
            "duration": first.duration,
            "bridged": bridged,
            "attrs": verb.attrs,
            "whisper": {
                "said": [dict(said) for said in first.said],
                "played": [dict(played) for played in first.played],
                "digits": "".join(first.digits),
                "requests": [dict(sent) for sent in first.requests],
                "ignored": list(first.ignored),
                "errors": list(first.errors),
            },
        }
        if whisper is None:
            entry["whisper"] = None
        if len(legs) > 1:
            entry["other_legs"] = [
                {"sid": leg.sid, "to": leg.to, "status": leg.status} for leg in legs[1:]
            ]
        parent.call.dials.append(entry)
