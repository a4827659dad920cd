"""Inbound calls: `POST /_sim/inbound` makes a call arrive at one of the account's numbers.

The call is played out synchronously, in the request: the number's VoiceUrl is fetched (signed,
`CallStatus=ringing`, `Direction=inbound`), its TwiML is followed like Twilio does (`<Gather>`
gets the caller's keys, `<Dial>` rings another phone, see dial.py, `<Record>` leaves a
recording), then the number's StatusCallback hears `completed`. The answer is the call's ledger
entry. The JSON body describes the caller and the phone `<Dial>` reaches (see `Scenario`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import phonenumbers
from flask import Flask, Response, jsonify, request

from voicecast.simulator import outcomes, twiml
from voicecast.simulator.dial import end_unfinished_legs, run_dial
from voicecast.simulator.ledger import CallRecord, new_sid, now
from voicecast.simulator.numbers import PhoneNumber
from voicecast.simulator.recordings import RecordingRecord
from voicecast.simulator.resource import E164, rfc2822
from voicecast.simulator.session import CONTINUE, Aborted, Source, TwimlSession, seconds_attr

if TYPE_CHECKING:
    from voicecast.simulator.engine import Simulator

SELLERS = ("answers", "voicemail", "no-answer", "busy")
HANGUPS = ("never", "while_ringing", "at_record", "after_record")
MAX_SECONDS = 14_400.0  # Twilio's longest call
FIRST_KEYS = ("sid", "direction", "from", "to", "status", "duration", "requests", "said")
FIRST_KEYS += ("played", "digits", "dials", "recordings")


@dataclass(frozen=True)
class Scenario:
    """Who calls whom and how the people involved behave (the `/_sim/inbound` JSON body)."""

    from_: str
    to: str
    caller_presses: str = ""  # at the first <Gather> the caller hears
    seller: str = "answers"  # the phone <Dial> rings: answers, voicemail, no-answer, busy
    seller_presses: str = "1"  # at the first <Gather> of the whisper, when `answers`
    caller_hangs_up: str = "never"  # or while_ringing, at_record, after_record
    voicemail_seconds: float = 6.0  # spoken at a <Record>
    talk_seconds: float = 20.0  # the bridged conversation

    @property
    def keys_of_seller(self) -> str:
        """A voicemail box hears the whisper but presses nothing."""
        return self.seller_presses if self.seller == "answers" else ""


def parse_scenario(body: object) -> Scenario:
    """The scenario in a JSON body; ValueError says what is wrong."""
    if not isinstance(body, dict):
        raise ValueError('send a JSON object, e.g. {"from": "+33612345678", "to": "+33170000000"}')
    known = {"from", "to", *(name for name in Scenario.__dataclass_fields__ if name != "from_")}
    unknown = sorted(set(body) - known)
    if unknown:
        raise ValueError(f"unknown field(s) {unknown}; known: {sorted(known)}")
    values: dict[str, Any] = {}
    for name in ("from", "to"):
        value = body.get(name)
        if not isinstance(value, str) or not E164.match(value):
            raise ValueError(f"'{name}' must be an E.164 number such as +33612345678")
        values["from_" if name == "from" else name] = value
    for name in ("caller_presses", "seller_presses"):
        if name in body:
            value = body[name]
            if not isinstance(value, str) or any(key not in "0123456789*#" for key in value):
                raise ValueError(f"'{name}' must be a string of keys 0-9, * and #")
            values[name] = value
    for name, allowed in (("seller", SELLERS), ("caller_hangs_up", HANGUPS)):
        if name in body:
            if body[name] not in allowed:
                raise ValueError(f"'{name}' must be one of {list(allowed)}")
            values[name] = body[name]
    for name in ("voicemail_seconds", "talk_seconds"):
        if name in body:
            value = body[name]
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or not 0 <= value <= MAX_SECONDS:
                raise ValueError(f"'{name}' must be a number of seconds, 0 to {MAX_SECONDS:g}")
            values[name] = float(value)
    return Scenario(**values)


def country(number: str) -> str | None:
    """ISO country code of an E.164 number (for FromCountry / ToCountry), if known."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number)) or None
    except phonenumbers.NumberParseException:
        return None


class InboundCall(TwimlSession):
    """The caller's leg of one inbound call, from ringing to the status callback."""

    def __init__(
        self, sim: Simulator, number: PhoneNumber, scenario: Scenario, base_url: str
    ) -> None:
        params: dict[str, Any] = {"From": scenario.from_, "To": scenario.to}
        params.update(VoiceUrl=number.voice_url, VoiceMethod=number.voice_method)
        if number.status_callback:
            params["StatusCallback"] = number.status_callback
            params["StatusCallbackMethod"] = number.status_callback_method
        params["Scenario"] = {"from" if k == "from_" else k: v for k, v in asdict(scenario).items()}
        call = CallRecord(new_sid(), number.account_sid, scenario.to, scenario.from_, params)
        call.direction = "inbound"
        for prefix, value in (("From", scenario.from_), ("To", scenario.to)):
            if code := country(value):
                call.extra_params[f"{prefix}Country"] = code
        super().__init__(sim, call)
        self.number = number
        self.scenario = scenario
        self.base_url = base_url
        self.caller_gone = False  # the caller hung up: TwiML answered now is not followed
        self.rejected: str | None = None  # the status a first-verb <Reject/> ends the call with
        self.gathered = False

    def run(self) -> CallRecord:
        """Play the call out; returns its ledger record once settled."""
        call = self.call
        with self.sim.ledger.lock:
            call.start_time = now()
            call.set_status("ringing")
        self.sim.ledger.add(call)
        source: Source = {"url": self.number.voice_url, "method": self.number.voice_method}
        if self.number.voice_fallback_url:
            source["fallback"] = self.number.voice_fallback_url
            source["fallback_method"] = self.number.voice_fallback_method
        try:
            self.follow(source)
        except Aborted:
            with self.sim.ledger.lock:
                call.settled = True
            return call
        self.finish()
        return call

    def webhook_status(self) -> str:
        if self.caller_gone:
            return "completed"
        return "in-progress" if self.call.answered_at else "ringing"

    def execute(self, verbs: list[twiml.Verb]) -> Source | None:
        if self.call.answered_at is None:
            if verbs and verbs[0].name == "Reject":  # the only way not to answer
                reason = verbs[0].attrs.get("reason", "rejected")
                self.rejected = "busy" if reason == "busy" else "no-answer"
                return None
            self.answer()
        return super().execute(verbs)

    def answer(self) -> None:
        with self.sim.ledger.lock:
            self.call.answered_at = now()
            self.call.set_status("in-progress")

    def run_verb(self, verb: twiml.Verb) -> Any:
        step = super().run_verb(verb)
        return None if self.caller_gone else step

    def press(self, verb: twiml.Verb) -> str:
        """The caller presses `caller_presses` at the first Gather only."""
        first, self.gathered = not self.gathered, True
        return self.scenario.caller_presses if first else ""

    def other(self, verb: twiml.Verb) -> Any:
        if verb.name == "Dial":
            return run_dial(self, verb)
        if verb.name == "Record":
            return self.record(verb)
        return super().other(verb)

    # -- <Record> ----------------------------------------------------------------------------
    def record(self, verb: twiml.Verb) -> Any:
        """The caller speaks `voicemail_seconds` (at most maxLength), then ends the recording:
        by hanging up (`after_record`: Digits=hangup), else by pressing a finishOnKey key ("#"
        if allowed), else by silence (`timeout`). An empty recording (nothing said, or the
        caller gone at the beep) is Twilio's `absent` one: no file, no action request."""
        max_length = seconds_attr(verb, "maxLength", 3600)
        finish_keys = verb.attrs.get("finishOnKey", "1234567890*#")
        hang = self.scenario.caller_hangs_up
        spoken = 0.0 if hang == "at_record" else min(self.scenario.voicemail_seconds, max_length)
        self.spend(spoken)
        digits: str | None = None
        silence = 0.0
        if hang in {"at_record", "after_record"}:
            self.caller_gone = True
            digits = "hangup" if spoken else None
        elif spoken < max_length and finish_keys:
            digits = "#" if "#" in finish_keys else finish_keys[0]
        elif spoken < max_length:
            silence = seconds_attr(verb, "timeout", 5)
            self.spend(silence)
        if verb.attrs.get("trim", "trim-silence") != "do-not-trim":
            silence = 0.0
        duration = math.ceil(spoken + silence)
        if duration <= 0:
            self.note("empty recording: Twilio's 'absent' status, no file, no action request")
            self.recording_callback(verb, None)
            return None if self.caller_gone else CONTINUE
        recording = self.store_recording(duration, "RecordVerb", 1)
        params = {
            "RecordingUrl": recording.url(self.base_url),
            "RecordingSid": recording.sid,
            "RecordingDuration": str(duration),
        }
        if digits:
            params["Digits"] = digits
        source = self.action(verb, params)
        if self.caller_gone:
            self.notify(source)
            self.recording_callback(verb, recording)
            return None
        self.after_load.append(lambda: self.recording_callback(verb, recording))
        return source

    def store_recording(self, duration: int, source: str, channels: int) -> RecordingRecord:
        recording = self.sim.recordings.create(
            self.call.account_sid, self.call.sid, duration, source=source, channels=channels
        )
        with self.sim.ledger.lock:
            self.call.recordings.append(
                {
                    "sid": recording.sid,
                    "url": recording.url(self.base_url),
                    "duration": duration,
                    "source": source,
                    "channels": channels,
                }
            )
        return recording

    def recording_callback(self, verb: twiml.Verb, recording: RecordingRecord | None) -> None:
        """The verb's recordingStatusCallback: `completed`, or `absent` if asked for."""
        url = verb.attrs.get("recordingStatusCallback")
        raw = verb.attrs.get("recordingStatusCallbackEvent", "completed")
        events = set(raw.replace(",", " ").split())
        status = "completed" if recording else "absent"
        if not url or status not in events:
            return
        params = {
            "AccountSid": self.call.account_sid,
            "CallSid": self.call.sid,
            "RecordingSid": recording.sid if recording else new_sid("RE"),
            "RecordingStatus": status,
            "RecordingDuration": str(recording.duration if recording else 0),
            "RecordingChannels": str(recording.channels if recording else 1),
            "RecordingSource": recording.source if recording else "RecordVerb",
            "RecordingStartTime": rfc2822(recording.start_time if recording else now()) or "",
            "ErrorCode": "0" if recording else "16101",
        }
        if recording:
            params["RecordingUrl"] = recording.url(self.base_url)
        method = verb.attrs.get("recordingStatusCallbackMethod") or "POST"
        self.callbacks.send("recording", self.resolve(url), params, method)

    def notify(self, source: Source) -> None:
        """An action request after the caller hung up: sent, its TwiML not followed."""
        params = {**self.callbacks.call_params("completed"), **source.get("params", {})}
        self.callbacks.request(source["url"], params, source.get("method") or "POST")
        self.note(f"the caller had hung up: the TwiML from {source['url']} was not followed")

    # -- the end -----------------------------------------------------------------------------
    def finish(self) -> None:
        """End the call and send the number's StatusCallback (`completed` event)."""
        end_unfinished_legs(self)
        with self.sim.ledger.lock:
            call = self.call
            if self.rejected:
                status, call.duration = self.rejected, 0
            else:
                if call.answered_at is None:  # Twilio answers to say "an application error"
                    call.answered_at = now()
                status, call.duration = "completed", max(1, math.ceil(self.media_seconds))
            call.end_time = now()
            call.sip_response_code = outcomes.SIP_CODES.get(status, 487)
            call.set_status(status)
        self.callbacks.status("completed")
        with self.sim.ledger.lock:
            call.settled = True


def inbound_view(call: CallRecord, sim: Simulator) -> dict[str, Any]:
    """The `/_sim/inbound` answer: the ledger entry, the fields tests read most first."""
    (entry,) = sim.ledger.snapshot(call.sid)
    return {**{key: entry[key] for key in FIRST_KEYS}, **entry}


def register_inbound(app: Flask, sim: Simulator) -> None:
    """Serve `POST /_sim/inbound`."""

    @app.post("/_sim/inbound")
    def inbound() -> tuple[Response, int]:
        try:
            scenario = parse_scenario(request.get_json(silent=True))
        except ValueError as error:
            return jsonify(error=str(error)), 400
        number = sim.numbers.by_number(scenario.to)
        if number is None:
            why = f"{scenario.to} is not one of the account's numbers: buy it first "
            why += "(POST .../IncomingPhoneNumbers.json or --number)"
            return jsonify(error=why), 404
        if not number.voice_url:
            why = f"{scenario.to} has no VoiceUrl: set one (POST .../IncomingPhoneNumbers/"
            why += f"{number.sid}.json VoiceUrl=...)"
            return jsonify(error=why), 409
        call = InboundCall(sim, number, scenario, request.host_url).run()
        return jsonify(inbound_view(call, sim)), 200
