"""Whether a file's contacts may be called under the account's rules, counted for its report:
the campaigns' own exclusions (voicecast.rules.eligibility.excluded_because), in their order:
on the do-not-call list, else no legal basis, else refused recently."""

from __future__ import annotations

from typing import Any

from sqlalchemy import any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import String

from voicecast import dialects
from voicecast.extensions import db
from voicecast.models import Account, Contact
from voicecast.models.base import utcnow
from voicecast.rules.eligibility import (
    NO_LEGAL_BASIS,
    REFUSED,
    SUPPRESSED,
    excluded_because,
    first_reason,
    moment,
)
from voicecast.rules.presets import account_rules

CHUNKS = {"postgresql": 20_000, "sqlite": 500}  # numbers per query


def standing(account: Account, phones: list[str]) -> dict[str, Any]:
    """How many of the account's contacts at `phones` may be called now, and why the others
    may not (by the reasons a campaign gives: `suppressed`, `no_legal_basis`,
    `refused_recently`)."""
    preset = account_rules(account.calling_rules, account.calling_rules_changes)
    rules = excluded_because(account.id, Contact.phone, Contact, preset, moment(preset, utcnow()))
    counts = dict.fromkeys((SUPPRESSED, NO_LEGAL_BASIS, REFUSED), 0)
    total = 0
    for chunk in chunked(phones):
        reasons = (
            select(first_reason(rules).label("reason"))
            .where(Contact.account_id == account.id, chunk)
            .subquery()
        )
        stmt = select(reasons.c.reason, func.count()).group_by(reasons.c.reason)
        for reason, count in db.session.execute(stmt):
            total += count
            if reason is not None:
                counts[reason] = counts.get(reason, 0) + count
    return {
        "rules": preset.name if preset else None,
        "may_call": total - sum(counts.values()),
        "may_not_call": counts,
    }


def chunked(phones: list[str]):
    """Conditions on Contact.phone covering `phones` a chunk at a time."""
    size = CHUNKS.get(dialects.name(), 500)
    for start in range(0, len(phones), size):
        part = phones[start : start + size]
        if dialects.is_postgresql():
            yield Contact.phone == any_(bindparam("phones", part, type_=ARRAY(String)))
        else:
            yield Contact.phone.in_(part)
