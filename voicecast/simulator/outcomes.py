"""Which way each simulated call goes: rules by the called number, or a seeded distribution.

The default rule looks at the last digit of `To` (see `RULES_BY_LAST_DIGIT`). Rules set at run
time (`POST /_sim/rules`) win: an exact number first, then the longest matching suffix.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass

# What the far end does. The answered ones are named after the `AnsweredBy` they produce.
HUMAN = "human"
MACHINE_BEEP = "machine_end_beep"
MACHINE_SILENCE = "machine_end_silence"
MACHINE_OTHER = "machine_end_other"
FAX = "fax"
UNKNOWN = "unknown"
BUSY = "busy"
NO_ANSWER = "no-answer"
FAILED = "failed"

ANSWERED = (HUMAN, MACHINE_BEEP, MACHINE_SILENCE, MACHINE_OTHER, FAX, UNKNOWN)
NOT_ANSWERED = (BUSY, NO_ANSWER, FAILED)
OUTCOMES = ANSWERED + NOT_ANSWERED

# The documented default: the last digit of the called number decides.
RULES_BY_LAST_DIGIT: Mapping[str, str] = {
    "0": MACHINE_BEEP,
    "1": MACHINE_BEEP,
    "2": MACHINE_BEEP,
    "3": MACHINE_BEEP,
    "4": MACHINE_BEEP,
    "5": HUMAN,
    "6": BUSY,
    "7": NO_ANSWER,
    "8": FAILED,
    "9": MACHINE_SILENCE,
}

# `--outcomes random`: roughly what a consumer voicemail campaign meets.
RANDOM_WEIGHTS: Mapping[str, float] = {
    MACHINE_BEEP: 0.45,
    MACHINE_SILENCE: 0.05,
    MACHINE_OTHER: 0.03,
    HUMAN: 0.20,
    FAX: 0.01,
    UNKNOWN: 0.03,
    BUSY: 0.05,
    NO_ANSWER: 0.13,
    FAILED: 0.05,
}

# SIP response code reported with each terminal status.
SIP_CODES: Mapping[str, int] = {"completed": 200, BUSY: 486, NO_ANSWER: 487, FAILED: 404}


@dataclass(frozen=True)
class Verdict:
    """The outcome chosen for a call and what produced it (for the ledger)."""

    outcome: str
    rule: str


class OutcomeRules:
    """Chooses outcomes; thread-safe. `mode` is "digit" (the rule table) or "random"."""

    def __init__(self, mode: str = "digit", seed: int | None = None) -> None:
        if mode not in {"digit", "random"}:
            raise ValueError(f"outcome mode must be digit or random, got {mode!r}")
        self.mode = mode
        self.seed = seed
        self._random = random.Random(seed)
        self._overrides: dict[str, str] = {}
        self._lock = threading.Lock()

    def set_overrides(self, rules: Mapping[str, str]) -> None:
        """Add or replace per-number rules: {"+33612345678" or "78": outcome}."""
        for key, outcome in rules.items():
            if outcome not in OUTCOMES:
                raise ValueError(f"unknown outcome {outcome!r} for {key!r}; one of {OUTCOMES}")
            if not key or not key.lstrip("+").isdigit():
                raise ValueError(f"rule keys are numbers or digit suffixes, got {key!r}")
        with self._lock:
            self._overrides.update(rules)

    def overrides(self) -> dict[str, str]:
        with self._lock:
            return dict(self._overrides)

    def reset(self) -> None:
        """Forget the overrides and restart the seeded sequence."""
        with self._lock:
            self._overrides.clear()
            self._random = random.Random(self.seed)

    def decide(self, to: str) -> Verdict:
        """The outcome for a call to `to`."""
        with self._lock:
            if to in self._overrides:
                return Verdict(self._overrides[to], f"number {to}")
            suffixes = [key for key in self._overrides if to.endswith(key)]
            if suffixes:
                key = max(suffixes, key=len)
                return Verdict(self._overrides[key], f"suffix {key}")
            if self.mode == "random":
                names, weights = zip(*RANDOM_WEIGHTS.items(), strict=True)
                outcome = self._random.choices(names, weights)[0]
                return Verdict(outcome, f"random (seed {self.seed})")
        digit = to[-1] if to and to[-1].isdigit() else "0"
        return Verdict(RULES_BY_LAST_DIGIT[digit], f"last digit {digit}")

    def describe(self) -> dict[str, object]:
        """The rules in force, for `GET /_sim/rules` and the ledger."""
        return {
            "mode": self.mode,
            "seed": self.seed,
            "by_last_digit": dict(RULES_BY_LAST_DIGIT),
            "random_weights": dict(RANDOM_WEIGHTS),
            "overrides": self.overrides(),
        }
