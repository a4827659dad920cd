"""The legal basis a customer file gives (consent: yes/no or its date, source, proof; contract:
kind, last day), and the one rule by which it joins what the contact has on record: history is
never lost, and a withdrawal is never undone by a consent dated before it (or undated)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from voicecast.imports.dates import DMY, read_date
from voicecast.imports.values import as_boolean

# The contact's columns the legal basis fills (voicecast.models.Contact).
LEGAL_COLUMNS = (
    "consent_at", "consent_source", "consent_proof", "consent_withdrawn_at",
    "contract_kind", "contract_ends_on",
)  # fmt: skip
# The import's fields that fill them, with the type of their cells.
LEGAL_FIELDS = {
    "consent": "consent",  # oui/non, or the date it was given
    "consent_date": "date",
    "consent_source": "text",
    "consent_proof": "text",
    "contract_kind": "text",
    "contract_ends_on": "date",
}
# A consent dated after the moment it is recorded is an error, not a consent. Times may run a
# little ahead (another system's clock); a day has not begun anywhere until it has in UTC+14.
CLOCK_SKEW = timedelta(minutes=5)
FIRST_ZONE_AHEAD = timedelta(hours=14)
DEFAULT_SOURCE = "import"
DEFAULT_CONTRACT = "contract"
NOTHING = dict.fromkeys(LEGAL_COLUMNS)


@dataclass(frozen=True, slots=True)
class LegalCells:
    """What a row says of the legal basis; None: it says nothing of that."""

    consent: bool | None = None  # True given, False refused or withdrawn
    given_at: datetime | None = None
    source: str | None = None
    proof: str | None = None
    contract_kind: str | None = None
    contract_ends_on: date | None = None


def as_consent(text: str, order: str = DMY) -> bool | str | None:
    """A consent cell: True/False (oui/non), the ISO date of a date (given that day; a slashed
    one read in `order`, its column's), None: neither."""
    answer = as_boolean(text)
    return answer if answer is not None else read_date(text, order)


def dated_in_future(given_at: datetime, now: datetime, day_only: bool = False) -> bool:
    """Whether a consent dated `given_at` would be dated after `now`: a time more than a few
    minutes ahead, or (`day_only`: a date) a day that has not begun anywhere on Earth."""
    if day_only:
        return given_at.date() > (now + FIRST_ZONE_AHEAD).date()
    return given_at > now + CLOCK_SKEW


def day_start(iso: str) -> datetime:
    return datetime.combine(date.fromisoformat(iso), time(0), tzinfo=UTC)


def legal_cells(values: dict[str, Any]) -> LegalCells | None:
    """The legal basis of a row from its typed legal fields (None or absent: empty)."""
    if not any(values.get(name) is not None for name in LEGAL_FIELDS):
        return None
    consent, given = values.get("consent"), values.get("consent_date")
    if isinstance(consent, str):  # the consent column holds its date
        consent, given = True, given or consent
    ends = values.get("contract_ends_on")
    return LegalCells(
        consent=consent if consent is not None else (True if given else None),
        given_at=day_start(given) if given else None,
        source=values.get("consent_source"),
        proof=values.get("consent_proof"),
        contract_kind=values.get("contract_kind"),
        contract_ends_on=date.fromisoformat(ends) if ends else None,
    )


def merged(current: dict[str, Any], cells: LegalCells, now: datetime) -> dict[str, Any]:
    """The contact's legal-basis columns once `cells` are applied to `current` (the columns
    as on record; NOTHING for a new contact). Empty cells keep what is on record. A "no"
    withdraws a consent in force (now); a consent is recorded when none is in force and it is
    dated after any withdrawal (undated: the import's time, never over a withdrawal), and
    updates one in force unless it is older than it."""
    result = dict(current)
    if cells.contract_kind is not None or cells.contract_ends_on is not None:
        result["contract_kind"] = (
            cells.contract_kind or current["contract_kind"] or DEFAULT_CONTRACT
        )
        result["contract_ends_on"] = cells.contract_ends_on or current["contract_ends_on"]
    given_at, withdrawn = cells.given_at, current["consent_withdrawn_at"]
    in_force = current["consent_at"] is not None and withdrawn is None
    if cells.consent is False:
        if in_force:
            result["consent_withdrawn_at"] = now
    elif cells.consent is True and in_force:
        if given_at is None or given_at >= current["consent_at"]:
            result["consent_at"] = given_at or current["consent_at"]
            result["consent_source"] = cells.source or current["consent_source"]
            result["consent_proof"] = cells.proof or current["consent_proof"]
    elif cells.consent is True and (
        withdrawn is None or (given_at is not None and given_at > withdrawn)
    ):
        result["consent_at"] = given_at or now
        result["consent_source"] = cells.source or DEFAULT_SOURCE
        result["consent_proof"] = cells.proof
        result["consent_withdrawn_at"] = None
    return result
