"""Whether a file's contacts may be called under the account's rules, counted for its report:
the campaigns' own exclusions (voicecast.rules.eligibility.excluded_because), in their order:
on the do-not-call list, else no legal basis, else refused recently."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Select, any_, bindparam, func, select
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


class StandingCount:
    """Counts how many of the account's contacts may be called now, and why the others may
    not (by the reasons a campaign gives: `suppressed`, `no_legal_basis`,
    `refused_recently`), a set of numbers at a time: at the end of an import, or as each
    window is stored (by the COPY writer's thread on PostgreSQL, off the import's path)."""

    def __init__(self, account: Account) -> None:
        self.account_id = account.id
        self.preset = account_rules(account.calling_rules, account.calling_rules_changes)
        now = moment(self.preset, utcnow())
        self.rules = excluded_because(account.id, Contact.phone, Contact, self.preset, now)
        self.counts = dict.fromkeys((SUPPRESSED, NO_LEGAL_BASIS, REFUSED), 0)
        self.total = 0
        self.dialect = dialects.name()  # known here: the counting may run in another thread

    def statements(self, phones: list[str]) -> Iterator[Select]:
        """The queries counting the contacts at `phones` by their first reason."""
        for chunk in chunked(phones, self.dialect):
            reasons = (
                select(first_reason(self.rules).label("reason"))
                .where(Contact.account_id == self.account_id, chunk)
                .subquery()
            )
            yield select(reasons.c.reason, func.count()).group_by(reasons.c.reason)

    def add(self, counted: Iterable[tuple[str | None, int]]) -> None:
        for reason, count in counted:
            self.total += count
            if reason is not None:
                self.counts[reason] = self.counts.get(reason, 0) + count

    def result(self) -> dict[str, Any]:
        return {
            "rules": self.preset.name if self.preset else None,
            "may_call": self.total - sum(self.counts.values()),
            "may_not_call": self.counts,
        }


def standing(account: Account, phones: list[str]) -> dict[str, Any]:
    """How many of the account's contacts at `phones` may be called now, and why the others
    may not (StandingCount)."""
    count = StandingCount(account)
    for statement in count.statements(phones):
        count.add(db.session.execute(statement))
    return count.result()


def chunked(phones: list[str], dialect: str) -> Iterator[Any]:
    """Conditions on Contact.phone covering `phones` a chunk at a time, for `dialect`."""
    size = CHUNKS.get(dialect, 500)
    for start in range(0, len(phones), size):
        part = phones[start : start + size]
        if dialect == "postgresql":
            yield Contact.phone == any_(bindparam("phones", part, type_=ARRAY(String)))
        else:
            yield Contact.phone.in_(part)
