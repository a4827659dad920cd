"""How the far end of an answered call behaves in time, per number: the length of a machine's
greeting (its beep ends it), how long a person takes to be recognised, whether the mailbox
cuts the message (full, a maximum length, a machine that hangs up), and the keys a person
presses, when (`presses`, `presses_at_s`: "presses 9 at second 12", heard by a `<Gather>`
listening then).

Every length is in media seconds (sped up by `Timings.play_factor` like played audio). The
defaults are deterministic by number, so a walkthrough or a test gives the same calls each run;
scripts set at run time (`POST /_sim/mailboxes`) win, an exact number first, then the longest
matching suffix, as the outcome rules do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

# A machine's greeting: from the answer to the beep. Short ones are a bare "laissez un
# message", long ones a business's full announcement.
GREETING_MIN_S, GREETING_SPREAD_S = 4.0, 9
# A person says "allô ?" and stops: Twilio's verdict comes after its speech-end threshold.
HUMAN_DETECTION_MIN_S, HUMAN_DETECTION_STEP_S = 1.2, 0.2
# A fax's tone is recognised about as fast as a person.
FAX_DETECTION_S = 2.0
FIELDS = ("greeting_s", "human_detection_s", "cut_after_s", "presses", "presses_at_s")
KEYS = frozenset("0123456789*#")


@dataclass(frozen=True)
class Mailbox:
    """The far end's timing. `cut_after_s`: the mailbox stops recording and hangs up that long
    after its beep (None: it records until the caller hangs up). `presses`: the keys a person
    presses `presses_at_s` media seconds after the answer, once, if a `<Gather>` listens then
    (a machine presses nothing)."""

    greeting_s: float
    human_detection_s: float
    cut_after_s: float | None = None
    presses: str | None = None
    presses_at_s: float = 0.0

    def describe(self) -> dict[str, Any]:
        return asdict(self)


def default_for(number: str) -> Mailbox:
    """The deterministic default for `number`: its last two digits pick the lengths."""
    digits = "".join(ch for ch in number if ch.isdigit())[-2:] or "0"
    value = int(digits)
    return Mailbox(
        greeting_s=GREETING_MIN_S + value % GREETING_SPREAD_S,
        human_detection_s=round(HUMAN_DETECTION_MIN_S + (value % 5) * HUMAN_DETECTION_STEP_S, 1),
    )


def script_from(body: Mapping[str, Any]) -> dict[str, Any]:
    """A script's fields, checked: each a non-negative number (cut_after_s may be null), and
    `presses` a string of telephone keys (or null)."""
    unknown = set(body) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown mailbox fields {sorted(unknown)}; use {list(FIELDS)}")
    for name, value in body.items():
        if name == "presses":
            if value is not None and (
                not isinstance(value, str) or not 0 < len(value) <= 20 or set(value) - KEYS
            ):
                raise ValueError(f"presses is a string of keys 0-9, * and #, got {value!r}")
            continue
        if value is None and name == "cut_after_s":
            continue
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} is a number of seconds >= 0, got {value!r}")
    return dict(body)


def key_for(scripts: Mapping[str, Any], number: str) -> str | None:
    """The script key that applies to `number`: the number itself, else its longest suffix."""
    if number in scripts:
        return number
    suffixes = [key for key in scripts if number.endswith(key)]
    return max(suffixes, key=len) if suffixes else None


def checked_scripts(
    scripts: Mapping[str, Any], fields: tuple[str, ...], check: Callable[[Mapping], dict]
) -> dict[str, dict[str, Any]]:
    """Scripts by number or digit suffix, each body checked by `check`; ValueError if not."""
    checked = {}
    for key, body in scripts.items():
        if not key or not key.lstrip("+").isdigit():
            raise ValueError(f"script keys are numbers or digit suffixes, got {key!r}")
        if not isinstance(body, Mapping):
            raise ValueError(f"the script of {key} is an object of {list(fields)}")
        checked[key] = check(body)
    return checked


class MailboxBook:
    """Per-number or per-suffix scripts over the defaults; thread-safe."""

    def __init__(self) -> None:
        self._scripts: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def set_scripts(self, scripts: Mapping[str, Mapping[str, Any]]) -> None:
        """Add or replace scripts: {"+33612345678" or "78": {"cut_after_s": 5, ...}}."""
        checked = checked_scripts(scripts, FIELDS, script_from)
        with self._lock:
            self._scripts.update(checked)

    def for_number(self, number: str) -> tuple[Mailbox, str]:
        """The far end of `number`, and what set it (for the ledger)."""
        with self._lock:
            key = key_for(self._scripts, number)
            script = dict(self._scripts[key]) if key is not None else {}
        mailbox = replace(default_for(number), **script)
        return mailbox, (f"script {key}" if key is not None else "default by number")

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {"scripts": {key: dict(body) for key, body in self._scripts.items()}}

    def reset(self) -> None:
        with self._lock:
            self._scripts.clear()
