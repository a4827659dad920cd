"""The calling-rule presets an account can call under (see ../shared notes on French and US
rules). An account may narrow its preset (fewer days or hours, a lower attempt cap, a stricter
legal basis...), never widen it; a campaign inherits the account's rules and may only narrow
them in turn: its own window is intersected with their hours."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import time
from functools import lru_cache
from typing import Any

from voicecast.rules.us_states import STATE_RULES, StateRule

CONSENT_OR_CONTRACT = "consent_or_contract"  # consent not withdrawn, or an ongoing contract
WRITTEN_CONSENT = "written_consent"  # consent recorded with its proof (the signed agreement)


@dataclass(frozen=True)
class Preset:
    """One country's rules. `hours` are open intervals [start, end) in the contact's local
    time on each of `days` (Monday = 0); `holidays` names the country whose public holidays
    (with those of the contact's region) are closed days."""

    name: str
    days: frozenset[int]
    hours: tuple[tuple[time, time], ...]
    holidays: str | None
    attempt_cap: int | None  # attempts per number per rolling `attempt_cap_days`, all campaigns
    attempt_cap_days: int
    silence_after_refusal_days: int | None
    legal_basis: str | None
    mobile_caller_id: bool  # may a mobile number be presented as caller ID
    narrowed: tuple[str, ...] = ()  # what the account narrowed (RULE_CHANGES' names)
    # Rules of the contact's state, on top of the rest (us_states.py); never narrowed away.
    state_rules: tuple[StateRule, ...] = ()

    def describe(self) -> dict:
        return {
            "preset": self.name,
            "days": sorted(self.days),
            "hours": [[f"{s:%H:%M}", f"{e:%H:%M}"] for s, e in self.hours],
            "public_holidays": self.holidays is not None,
            "attempt_cap": self.attempt_cap,
            "attempt_cap_days": self.attempt_cap_days if self.attempt_cap else None,
            "silence_after_refusal_days": self.silence_after_refusal_days,
            "legal_basis": self.legal_basis,
            "mobile_caller_id": self.mobile_caller_id,
            "narrowed_by_account": list(self.narrowed),
            "state_rules": [rule.describe() for rule in self.state_rules],
        }


FR = Preset(
    name="FR",
    days=frozenset(range(5)),
    hours=((time(10), time(13)), (time(14), time(20))),
    holidays="FR",
    attempt_cap=4,
    attempt_cap_days=30,
    silence_after_refusal_days=60,
    legal_basis=CONSENT_OR_CONTRACT,
    mobile_caller_id=False,
)
US = Preset(
    name="US",
    days=frozenset(range(7)),
    hours=((time(8), time(21)),),
    holidays=None,
    attempt_cap=None,
    attempt_cap_days=30,
    silence_after_refusal_days=None,
    legal_basis=WRITTEN_CONSENT,
    mobile_caller_id=True,
    state_rules=STATE_RULES,
)
PRESETS = {preset.name: preset for preset in (FR, US)}
NO_RULES_NOTE = (
    "No calling-rule preset on this account: only the campaign's own window applies (no "
    "public holidays, attempt cap, silence after a refusal or legal-basis check)."
)


def preset_named(name: str | None) -> Preset | None:
    """The preset called `name`; None for no preset (None or "none")."""
    if name is None or name.lower() == "none":
        return None
    try:
        return PRESETS[name.upper()]
    except KeyError:
        raise ValueError(f"unknown calling rules {name!r}: use FR, US or none") from None


def default_preset_name(country: str) -> str | None:
    """A new account's preset: its country's when we have one, else none."""
    return country.upper() if country.upper() in PRESETS else None


# What an account may change of its preset, each only to narrow it.
RULE_CHANGES = (
    "days",
    "hours",
    "public_holidays",
    "attempt_cap",
    "attempt_cap_days",
    "silence_after_refusal_days",
    "legal_basis",
    "mobile_caller_id",
)
# Legal bases from the least to the most demanding (written consent is a consent).
BASIS_STRICTNESS = (None, CONSENT_OR_CONTRACT, WRITTEN_CONSENT)


class WiderThanPreset(ValueError):
    """A change that would widen the preset; `field` names it, the message says the limit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def account_rules(name: str | None, changes: dict[str, Any] | None) -> Preset | None:
    """The rules of an account on preset `name` narrowed by `changes` (validated when they
    were saved); None: no preset."""
    preset = preset_named(name)
    if preset is None or not changes:
        return preset
    return narrowed_cached(preset, json.dumps(changes, sort_keys=True))


@lru_cache(maxsize=256)
def narrowed_cached(preset: Preset, changes: str) -> Preset:
    return narrow(preset, json.loads(changes))


def narrow(preset: Preset, changes: dict[str, Any]) -> Preset:
    """`preset` with `changes` (RULE_CHANGES' names, as the account API takes them) applied;
    raises WiderThanPreset for a change that would widen it."""
    values: dict[str, Any] = {}
    for field, value in changes.items():
        values.update(NARROWERS[field](preset, value))
    return replace(
        preset, **values, narrowed=tuple(name for name in RULE_CHANGES if name in changes)
    )


def narrower_days(preset: Preset, days: list[int]) -> dict[str, Any]:
    extra = sorted(set(days) - preset.days)
    if extra or not days:
        allowed = ", ".join(str(day) for day in sorted(preset.days))
        raise WiderThanPreset(
            "days",
            f"{preset.name} rules call on days {allowed} (Monday = 0): "
            "give some of them, not others.",
        )
    return {"days": frozenset(days)}


def narrower_hours(preset: Preset, hours: list[list[str]]) -> dict[str, Any]:
    intervals = tuple(sorted((as_time(start), as_time(end)) for start, end in hours))
    for start, end in intervals:
        if not start < end:
            raise WiderThanPreset("hours", f"{start:%H:%M}-{end:%H:%M} ends before it starts.")
        if not any(low <= start and end <= high for low, high in preset.hours):
            allowed = ", ".join(f"{low:%H:%M}-{high:%H:%M}" for low, high in preset.hours)
            raise WiderThanPreset(
                "hours",
                f"{start:%H:%M}-{end:%H:%M} is outside {preset.name} "
                f"calling hours ({allowed}): give hours within them.",
            )
    if not intervals:
        raise WiderThanPreset("hours", "Give at least one interval of calling hours.")
    return {"hours": intervals}


def as_time(text: str) -> time:
    try:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise WiderThanPreset("hours", f"{text!r} is not a time of day: write it HH:MM.") from None


def narrower_holidays(preset: Preset, closed: bool) -> dict[str, Any]:
    if preset.holidays and not closed:
        raise WiderThanPreset(
            "public_holidays",
            f"{preset.name} rules never call on public holidays: that cannot be turned off.",
        )
    return {"holidays": preset.holidays or preset.name if closed else None}


def bounded(
    preset: Preset, field: str, value: int, limit: int | None, floor: bool, says: str
) -> dict[str, Any]:
    """`{field: value}`, unless `value` passes the preset's `limit` (a floor, else a ceiling;
    None: no limit); `says` what the preset does, with `{limit}`."""
    if limit and (value < limit if floor else value > limit):
        give = f"give {limit} or {'more' if floor else 'fewer'}"
        raise WiderThanPreset(field, f"{preset.name} rules {says.format(limit=limit)}: {give}.")
    return {field: value}


def narrower_cap(preset: Preset, cap: int) -> dict[str, Any]:
    says = "allow at most {limit} attempts"
    return bounded(preset, "attempt_cap", cap, preset.attempt_cap, False, says)


def narrower_cap_days(preset: Preset, days: int) -> dict[str, Any]:
    limit = preset.attempt_cap_days if preset.attempt_cap else None
    says = "count attempts over {limit} days"
    return bounded(preset, "attempt_cap_days", days, limit, True, says)


def narrower_silence(preset: Preset, days: int) -> dict[str, Any]:
    says = "keep {limit} days of silence after a refusal"
    limit = preset.silence_after_refusal_days
    return bounded(preset, "silence_after_refusal_days", days, limit, True, says)


def narrower_basis(preset: Preset, basis: str) -> dict[str, Any]:
    if BASIS_STRICTNESS.index(basis) < BASIS_STRICTNESS.index(preset.legal_basis):
        raise WiderThanPreset(
            "legal_basis",
            f"{preset.name} rules require {preset.legal_basis}: give it or {WRITTEN_CONSENT}.",
        )
    return {"legal_basis": basis}


def narrower_caller_id(preset: Preset, allowed: bool) -> dict[str, Any]:
    if allowed and not preset.mobile_caller_id:
        raise WiderThanPreset(
            "mobile_caller_id",
            f"{preset.name} rules forbid presenting a mobile number: that cannot be turned on.",
        )
    return {"mobile_caller_id": allowed}


NARROWERS = {
    "days": narrower_days,
    "hours": narrower_hours,
    "public_holidays": narrower_holidays,
    "attempt_cap": narrower_cap,
    "attempt_cap_days": narrower_cap_days,
    "silence_after_refusal_days": narrower_silence,
    "legal_basis": narrower_basis,
    "mobile_caller_id": narrower_caller_id,
}
