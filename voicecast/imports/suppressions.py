"""Do-not-call lists from a file: one number per row, with a header naming the number's column
(and optionally a reason) or no header at all (a bare list of numbers, as registries export
them). Numbers already on the list stay as they are; a bad row is reported, never fatal."""

from __future__ import annotations

from itertools import chain
from typing import Any

from sqlalchemy import insert, select

from voicecast.extensions import db
from voicecast.imports.columns import HEADER_FIELD, plain
from voicecast.imports.reasons import say
from voicecast.imports.source import BadLine, Line, read_lines
from voicecast.models import Account, Suppression
from voicecast.phones import InvalidPhone, describe

REASON_HEADERS = {"reason", "motif", "raison", "comment", "commentaire", "source"}
CHUNK = 5000


def phone_columns(header: list[str]) -> tuple[int | None, int | None]:
    """The indexes of the number's column and of the reason's, from the header's names."""
    phone = next((i for i, h in enumerate(header) if HEADER_FIELD.get(plain(h)) == "phone"), None)
    reason = next((i for i, h in enumerate(header) if plain(h) in REASON_HEADERS), None)
    return phone, reason


def import_suppressions(account: Account, data: bytes, reason: str | None) -> dict[str, Any]:
    """Add the file's numbers to the account's list (committed); returns the report."""
    header, lines, how, _ = read_lines(data)
    phone_at, reason_at = phone_columns(header)
    if phone_at is None:  # no header: the first line is a number like the others
        lines = chain([Line(1, header)], lines)
        phone_at = 0
    report = {"rows": 0, "added": 0, "already_listed": 0, "duplicates": 0, "rejected": 0,
              "errors": [], **how}  # fmt: skip
    seen: set[str] = set()
    batch: list[dict[str, Any]] = []
    for line in lines:
        report["rows"] += 1
        if isinstance(line, BadLine):
            reject(report, line.number, say(line.code, line.params, "en"))
            continue
        raw = cell(line, phone_at)
        try:
            phone = describe(raw, account.country).e164
        except InvalidPhone as error:
            reject(report, line.number, str(error) if raw else "no number in this row")
            continue
        if phone in seen:
            report["duplicates"] += 1
            continue
        seen.add(phone)
        why = cell(line, reason_at) or reason
        batch.append({"phone": phone, "reason": why[:200] if why else None})
        if len(batch) >= CHUNK:
            store(account.id, batch, report)
            batch = []
    store(account.id, batch, report)
    db.session.commit()
    return report


def cell(line: Line, index: int | None) -> str:
    return line.cells[index].strip() if index is not None and index < len(line.cells) else ""


def reject(report: dict[str, Any], line: int, reason: str) -> None:
    report["rejected"] += 1
    report["errors"].append({"line": line, "reason": reason})


def store(account_id: int, batch: list[dict[str, Any]], report: dict[str, Any]) -> None:
    """Insert the numbers of `batch` not on the list yet. Does not commit."""
    if not batch:
        return
    phones = [entry["phone"] for entry in batch]
    listed = set(
        db.session.scalars(
            select(Suppression.phone).where(
                Suppression.account_id == account_id, Suppression.phone.in_(phones)
            )
        )
    )
    new = [
        {"account_id": account_id, "source": "import", **entry}
        for entry in batch
        if entry["phone"] not in listed
    ]
    if new:
        db.session.execute(insert(Suppression), new)
    report["added"] += len(new)
    report["already_listed"] += len(batch) - len(new)
