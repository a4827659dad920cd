"""The network as rough as Twilio's, per number: status callbacks dropped, sent twice, late or out
of order; async AMD's verdict callback dropped, sent twice or late (`"amd"` in the event lists:
late enough, it comes after the call's end); AMD verdicts that are wrong; greetings longer than
the detection timeout; far ends that hang up during detection; create-call responses lost after
the call exists; SMS refused from a number that cannot send it (21606). Calls queued past the
queue limit are refused by the CPS dispatcher (22005, `engine.py`, `max_queue_s` here).

Off by default, so the README walkthrough and the tests keep their figures. `POST
/_sim/roughness` sets a profile ("off" or "realistic") and scripts per number or suffix (an
exact number first, then the longest suffix, as the outcome rules do); a script's fields win
over the profile's. The "realistic" profile draws each number's roughness from a hash of the
number, so it is the same on every run (`REALISTIC` below gives its rates).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from voicecast.simulator.mailboxes import checked_scripts, key_for

PROFILES = ("off", "realistic")
STATUS_EVENTS = ("initiated", "ringing", "answered", "completed")
# The callbacks a call sends: its status events, and async AMD's verdict ("amd"), which the
# carrier sends once too (dropped, it is lost; late, it may come after the call's end).
EVENTS = (*STATUS_EVENTS, "amd")
FLIP = {"human": "machine_end_beep"}  # a person taken for a machine; a machine for a person
LONG_GREETING_MARGIN_S = 5.0  # a long greeting lasts this much past the detection timeout
DEFAULT_MAX_QUEUE_S = 86_400.0  # Twilio drops calls queued 24 h (22005)

# The "realistic" profile's rates, drawn per number. Twilio publishes about 94% AMD accuracy,
# its errors leaning to "human" (a machine then hears the message over its greeting).
REALISTIC: Mapping[str, float] = {
    "machine_taken_for_human": 0.045,
    "human_taken_for_machine": 0.015,
    "long_greeting": 0.03,
    "hangup_during_detection": 0.02,
    "drop_callback": 0.01,  # per event
    "duplicate_callback": 0.02,  # per event
    "delay_callback": 0.05,  # per event, by DELAY_S
    "reorder_callbacks": 0.05,
    "create_response_lost": 0.005,
}
REALISTIC_DELAY_S = 3.0


@dataclass(frozen=True)
class Rough:
    """One number's roughness. Times in media seconds (sped up like played audio), except
    `callback_delay_s`, wall seconds before `time_scale`."""

    drop_callbacks: tuple[str, ...] = ()
    duplicate_callbacks: tuple[str, ...] = ()
    delayed_callbacks: tuple[str, ...] = ()
    callback_delay_s: float = 0.0
    reorder_callbacks: bool = False  # status callbacks before `completed` are sent after it
    detection_error: bool = False  # the verdict says machine for a person, human for a machine
    long_greeting: bool = False  # the greeting outlasts MachineDetectionTimeout: `unknown`
    hangup_during_detection_s: float | None = None  # the far end hangs up then, before a verdict
    create_response_lost: bool = False  # the carrier takes the call, its response never comes
    # as a From: False refuses its messages (21606), True lets them go; None: as the number's
    # capabilities say (numbers.sms_capable: French numbers other than mobiles cannot send)
    sms_capable: bool | None = None

    def describe(self) -> dict[str, Any]:
        return asdict(self)


FIELDS = tuple(Rough.__dataclass_fields__)
EVENT_LISTS = ("drop_callbacks", "duplicate_callbacks", "delayed_callbacks")
FLAGS = ("reorder_callbacks", "detection_error", "long_greeting", "create_response_lost",
         "sms_capable")  # fmt: skip


def draw(number: str, what: str) -> float:
    """A number's deterministic draw in [0, 1) for `what`."""
    digest = hashlib.sha256(f"{what}:{number}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def realistic_for(number: str, far_end: str | None = None) -> Rough:
    """The realistic profile's roughness for `number` (a call to it, or a message from it)."""
    rates = REALISTIC
    events = {key: tuple(e for e in EVENTS if draw(number, f"{key}:{e}") < rates[key])
              for key in ("drop_callback", "duplicate_callback", "delay_callback")}  # fmt: skip
    error_rate = rates["human_taken_for_machine" if far_end == "human" else
                       "machine_taken_for_human"]  # fmt: skip
    hangs_up = draw(number, "hangup") < rates["hangup_during_detection"]
    return Rough(
        drop_callbacks=events["drop_callback"],
        duplicate_callbacks=events["duplicate_callback"],
        delayed_callbacks=events["delay_callback"],
        callback_delay_s=REALISTIC_DELAY_S,
        reorder_callbacks=draw(number, "reorder") < rates["reorder_callbacks"],
        detection_error=draw(number, "detection") < error_rate,
        long_greeting=draw(number, "greeting") < rates["long_greeting"],
        hangup_during_detection_s=1.0 if hangs_up else None,
        create_response_lost=draw(number, "create") < rates["create_response_lost"],
    )


def script_from(body: Mapping[str, Any]) -> dict[str, Any]:
    """A script's fields, checked; ValueError says what to fix."""
    unknown = set(body) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown roughness fields {sorted(unknown)}; use {list(FIELDS)}")
    script: dict[str, Any] = {}
    for name, value in body.items():
        if name in EVENT_LISTS:
            if not isinstance(value, list) or not set(value) <= set(EVENTS):
                raise ValueError(f"{name} is a list of events among {list(EVENTS)}")
            script[name] = tuple(value)
        elif name in FLAGS:
            if not isinstance(value, bool):
                raise ValueError(f"{name} is true or false, got {value!r}")
            script[name] = value
        elif value is None and name == "hangup_during_detection_s":
            script[name] = None
        elif not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} is a number of seconds >= 0, got {value!r}")
        else:
            script[name] = float(value)
    return script


@dataclass
class RoughBook:
    """The profile, the scripts per number or suffix, and the queue limit; thread-safe."""

    profile: str = "off"  # PROFILES
    max_queue_s: float = DEFAULT_MAX_QUEUE_S
    _scripts: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(self, body: Mapping[str, Any]) -> None:
        """`{"profile": "off"|"realistic", "max_queue_s": s, "numbers": {key: script}}`."""
        unknown = set(body) - {"profile", "max_queue_s", "numbers"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}; use profile, max_queue_s, numbers")
        profile = body.get("profile", self.profile)
        if profile not in PROFILES:
            raise ValueError(f"profile is off or realistic, got {profile!r}")
        limit = body.get("max_queue_s", self.max_queue_s)
        if not isinstance(limit, int | float) or isinstance(limit, bool) or limit <= 0:
            raise ValueError(f"max_queue_s is a number of seconds > 0, got {limit!r}")
        numbers = body.get("numbers") or {}
        if not isinstance(numbers, Mapping):
            raise ValueError('numbers is an object {"number or suffix": {...}}')
        checked = checked_scripts(numbers, FIELDS, script_from)
        with self._lock:
            self.profile, self.max_queue_s = profile, float(limit)
            self._scripts.update(checked)

    def for_number(self, number: str, far_end: str | None = None) -> tuple[Rough, str]:
        """`number`'s roughness and what set it (for the ledger)."""
        with self._lock:
            key = key_for(self._scripts, number)
            script = dict(self._scripts[key]) if key is not None else {}
            profile = self.profile
        base = realistic_for(number, far_end) if profile == "realistic" else Rough()
        origin = f"script {key}" if key is not None else f"profile {profile}"
        return replace(base, **script), origin

    def describe(self) -> dict[str, Any]:
        with self._lock:
            scripts = {key: {k: list(v) if isinstance(v, tuple) else v for k, v in s.items()}
                       for key, s in self._scripts.items()}  # fmt: skip
            return {"profile": self.profile, "max_queue_s": self.max_queue_s,
                    "numbers": scripts, "realistic_rates": dict(REALISTIC)}  # fmt: skip

    def reset(self, profile: str = "off") -> None:
        with self._lock:
            self._scripts.clear()
            self.profile, self.max_queue_s = profile, DEFAULT_MAX_QUEUE_S


def misdetected(verdict: str, human_detection_s: float) -> tuple[str, float] | None:
    """The wrong verdict a detection error gives, and when (media seconds after the answer):
    a machine taken for a person at a person's speed, a person taken for a machine once they
    have talked a while. None for verdicts it does not touch (fax, unknown)."""
    if verdict in {"machine_end_beep", "machine_end_silence", "machine_end_other"}:
        return "human", human_detection_s
    if verdict == "human":
        return FLIP["human"], max(human_detection_s * 3, 4.0)
    return None
