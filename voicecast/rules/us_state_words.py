"""A state rule in words, in English (US accounts, the API) or French: "Florida: calls 8 am-8
pm", "Texas: calls 9 am-9 pm Mon-Sat, noon-9 pm Sun", "Florida: at most 3 calls in 24 hours".
Written from the rule's data (us_states.py), so what a manager reads is what is applied."""

from __future__ import annotations

from datetime import time

from voicecast.rules.us_states import BY_CODE, CAP_HOURS, CAP_REASON, HOURS_REASON, StateRule

DAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
}


def clock(moment: time, locale: str) -> str:
    if locale == "fr":
        return f"{moment.hour} h" + (f" {moment.minute:02d}" if moment.minute else "")
    if moment == time(12):
        return "noon"
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{moment.hour % 12 or 12}{minutes} {'am' if moment.hour < 12 else 'pm'}"


def span(hours: tuple[tuple[time, time], ...], locale: str) -> str:
    if locale == "fr":
        return ", ".join(f"de {clock(s, locale)} à {clock(e, locale)}" for s, e in hours)
    return ", ".join(f"{clock(s, locale)}-{clock(e, locale)}" for s, e in hours)


def day_runs(rule: StateRule) -> list[tuple[int, int, tuple]]:
    """Consecutive weekdays with the same hours: (first, last, hours)."""
    runs: list[tuple[int, int, tuple]] = []
    for day, hours in sorted(rule.days):
        if runs and runs[-1][1] == day - 1 and runs[-1][2] == hours:
            runs[-1] = (runs[-1][0], day, hours)
        else:
            runs.append((day, day, hours))
    return runs


def days_text(first: int, last: int, locale: str) -> str:
    names = DAYS[locale]
    if first == last:
        return f"le {names[first]}" if locale == "fr" else names[first]
    if locale == "fr":
        return f"du {names[first]} au {names[last]}"
    return f"{names[first]}-{names[last]}"


def hours_text(rule: StateRule, locale: str = "en") -> str:
    """ "Florida: calls 8 am-8 pm", with the days when not every day, and the holidays."""
    runs = day_runs(rule)
    if len(runs) == 1 and runs[0][:2] == (0, 6):
        when = span(runs[0][2], locale)
    else:
        when = ", ".join(f"{span(h, locale)} {days_text(a, b, locale)}" for a, b, h in runs)
    if locale == "fr":
        holidays = ", jamais les jours fériés de l'État" if rule.holidays else ""
        return f"{rule.name_fr} : appels {when}{holidays}"
    holidays = ", never on state holidays" if rule.holidays else ""
    return f"{rule.name}: calls {when}{holidays}"


def cap_text(rule: StateRule, locale: str = "en") -> str:
    if locale == "fr":
        return f"{rule.name_fr} : {rule.cap} appels au plus en {CAP_HOURS} heures"
    return f"{rule.name}: at most {rule.cap} calls in {CAP_HOURS} hours"


def reason_text(reason: str, locale: str = "en") -> str | None:
    """The words of a state rule's reason ("state_hours:FL", "state_cap:FL"); None for
    another reason."""
    kind, _, code = reason.partition(":")
    rule = BY_CODE.get(code)
    if rule is None or kind not in (HOURS_REASON, CAP_REASON):
        return None
    return hours_text(rule, locale) if kind == HOURS_REASON else cap_text(rule, locale)


def reason_labels(locale: str) -> dict[str, str]:
    """Every state rule's reasons with their words (for the pages' labels)."""
    found = {}
    for rule in BY_CODE.values():
        found[rule.hours_reason] = hours_text(rule, locale)
        if rule.cap:
            found[rule.cap_reason] = cap_text(rule, locale)
    return found
