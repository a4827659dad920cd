"""Whether a file's contacts may be called under the account's rules, counted for its report:
the same conditions and order as the campaigns' verdicts (voicecast.rules.eligibility): on the
do-not-call list, else no legal basis, else refused recently."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, any_, bindparam, case, func, not_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import String

from voicecast import dialects
from voicecast.extensions import db
from voicecast.models import Account, Contact, Suppression
from voicecast.models.base import utcnow
from voicecast.rules.eligibility import (
    NO_LEGAL_BASIS,
    REFUSED,
    SUPPRESSED,
    legal_basis_holds,
    refused_recently,
)
from voicecast.rules.presets import account_rules

CHUNKS = {"postgresql": 20_000, "sqlite": 500}  # numbers per query


def standing(account: Account, phones: list[str]) -> dict[str, Any]:
    """How many of the account's contacts at `phones` may be called now, and why the others
    may not (by the reasons a campaign gives: `suppressed`, `no_legal_basis`,
    `refused_recently`)."""
    preset = account_rules(account.calling_rules, account.calling_rules_changes)
    now = utcnow()
    suppressed = (
        select(Suppression.id)
        .where(Suppression.account_id == account.id, Suppression.phone == Contact.phone)
        .exists()
    )
    lawful = legal_basis_holds(Contact, preset, now.date())
    refused = refused_recently(Contact, preset, now)
    reasons = {
        SUPPRESSED: suppressed,
        NO_LEGAL_BASIS: and_(not_(suppressed), not_(lawful)),
        REFUSED: and_(not_(suppressed), lawful, refused),
    }
    counts = dict.fromkeys(reasons, 0)
    total = 0
    for chunk in chunked(phones):
        stmt = select(
            func.count(),
            *(func.sum(case((condition, 1), else_=0)) for condition in reasons.values()),
        ).where(Contact.account_id == account.id, chunk)
        found, *by_reason = db.session.execute(stmt).one()
        total += found
        for reason, count in zip(reasons, by_reason, strict=True):
            counts[reason] += count or 0
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
