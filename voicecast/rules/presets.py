"""The calling-rule presets an account can call under (see ../shared notes on French and US
rules). A campaign inherits its account's preset and may only narrow it: its own window is
intersected with the preset's hours; nothing a campaign sets can widen them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

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
