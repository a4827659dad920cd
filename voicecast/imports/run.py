"""One import from start to report: read the file, check every row, upsert, explain."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select, update

from voicecast import dialects
from voicecast.extensions import db
from voicecast.i18n import date_order
from voicecast.imports.column_types import attribute_types
from voicecast.imports.columns import BadMapping, Column, map_columns
from voicecast.imports.dates import ColumnOrder, order_entry, order_words
from voicecast.imports.legal import LEGAL_FIELDS
from voicecast.imports.parallel import read_rows_in_processes
from voicecast.imports.reasons import language_of, say
from voicecast.imports.rows import CellFailure, Rejected, RowContext
from voicecast.imports.source import BadLine, Line, UnreadableFile, read_lines
from voicecast.imports.standing import StandingCount, standing
from voicecast.imports.store import upsert_contacts
from voicecast.models import Account, ContactImport, ImportStatus, Role, User
from voicecast.models.base import utcnow

MATCH_ON = ("phone", "external_id")
Heartbeat = Callable[[], None]  # called with each chunk stored, before its commit
MAX_LISTED_ERRORS = 10_000
Orders = dict[int, ColumnOrder]  # column index -> the order its dates are read in


def sellers_by_name(account_id: int) -> dict[str, int]:
    """The account's sellers by lowercased email and by lowercased name."""
    stmt = select(User.id, User.email, User.name).where(
        User.account_id == account_id, User.role == Role.SELLER
    )
    found: dict[str, int] = {}
    for user_id, email, name in db.session.execute(stmt):
        if email:
            found[email.lower()] = user_id
        found.setdefault(name.lower(), user_id)
    return found


def stopped(import_id: int) -> str:
    """What an import stopped by an error on our side says, in its account's language."""
    record = db.session.get(ContactImport, import_id)
    account = db.session.get(Account, record.account_id)
    return say("stopped", {}, language_of(account.country))


def read_import(import_id: int, data: bytes, processes: int = 1) -> ContactImport:
    """Import `data`, the file of import `import_id`, and finish its record: done with the
    report, or failed with what to fix (what was stored before the failure stays). Commits.
    An unexpected error fails the record too, then is raised. `processes` may read the rows
    of a big file (a worker's job: a web request never forks)."""
    record = db.session.get(ContactImport, import_id)
    account = db.session.get(Account, record.account_id)
    try:
        report = import_csv(account, data, record.options, lambda: touch(import_id), processes)
        error = None
    except (UnreadableFile, BadMapping) as failure:
        db.session.rollback()
        report = None
        error = say(failure.code, failure.params, language_of(account.country))
    except Exception:
        db.session.rollback()
        finish(import_id, None, stopped(import_id))
        raise
    return finish(import_id, report, error)


def touch(import_id: int) -> None:
    """Say the import is being read (`queueing.ABANDONED`); committed with the rows stored."""
    stmt = update(ContactImport).where(ContactImport.id == import_id).values(updated_at=utcnow())
    db.session.execute(stmt)


def finish(import_id: int, report: dict[str, Any] | None, error: str | None) -> ContactImport:
    """Record the import's end: its report, or the error that stopped it. Commits."""
    record = db.session.get(ContactImport, import_id)
    record.status = ImportStatus.FAILED if error else ImportStatus.DONE
    record.report, record.error = report, error
    record.finished_at, record.data = utcnow(), None
    db.session.commit()
    return record


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the duration. An import allocates hundreds of
    thousands of long-lived objects (records, rows, what matching remembers) and no garbage
    cycles to speak of, and each full pass of the collector walks all of them: on 200,000 rows
    those passes were a third of the import's CPU. Whatever cycles appear are collected after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@collector_paused()
def import_csv(
    account: Account,
    data: bytes,
    options: dict[str, Any],
    heartbeat: Heartbeat | None = None,
    processes: int = 1,
) -> dict[str, Any]:
    """Import a CSV file's contacts into `account`; returns the report. Raises UnreadableFile
    or BadMapping when the file as a whole cannot be read."""
    header, records, how, tally = read_lines(data)
    columns = map_columns(header, options.get("mapping"))
    lines = list(records)
    report = import_lines(
        account, columns, len(header), lines, options, how, heartbeat=heartbeat,
        processes=processes,
    )  # fmt: skip
    report["lines"] = tally.describe(report["rows"])
    return report


@collector_paused()
def import_lines(
    account: Account,
    columns: list[Column],
    width: int,
    lines: list[Line | BadLine],
    options: dict[str, Any],
    how: dict[str, str],
    typed: bool = False,
    heartbeat: Heartbeat | None = None,
    processes: int = 1,
) -> dict[str, Any]:
    """Import `lines` read as `columns` (the list is emptied as they are read); `typed` when
    their attribute cells are JSON values (kept as sent) rather than text (typed by column);
    `processes`: how many processes may read a big file's rows (voicecast.imports.parallel)."""
    key = options.get("match_on") or "phone"
    if typed:
        types = {column.index: "json" for column in columns if column.attribute}
        values, orders = {}, {}
    else:
        check_date_order(options.get("date_order"), columns)
        types, values, orders = attribute_types(
            columns, lines, width, date_order(account.country), options.get("date_order")
        )
    sellers = sellers_by_name(account.id)
    context = RowContext(account.country, sellers, types, values, date_orders=orders)
    rows = len(lines)
    copied = dialects.is_postgresql()  # the COPY text too, in the reader processes
    items = read_rows_in_processes(lines, columns, width, context, key, processes, copied)
    counting = StandingCount(account)
    stored = upsert_contacts(account.id, items, key, heartbeat, account.country, counting)
    refused = sorted(stored.rejected, key=lambda item: item.line)
    language = language_of(account.country)
    failures = context.failures
    failed = Counter(failure.column for failure in failures)
    headers = {column.index: column.header for column in columns}
    return {
        "rows": rows,
        "created": stored.created,
        "updated": stored.updated,
        "unchanged": stored.unchanged,
        "rejected": len(refused),
        "errors": [error_entry(item, language) for item in refused[:MAX_LISTED_ERRORS]],
        "failed_cells": len(failures),
        "cell_errors": [
            cell_entry(item, headers, orders, language) for item in failures[:MAX_LISTED_ERRORS]
        ],
        "columns": [column_entry(column, types, failed, orders, language) for column in columns],
        "match_on": key,
        "calling": counting.result() if stored.counted else standing(account, stored.phones),
        **how,
    }


def error_entry(item: Rejected, language: str) -> dict[str, Any]:
    return {"line": item.line, "code": item.code, "reason": say(item.code, item.params, language)}


def check_date_order(option: Any, columns: list[Column]) -> None:
    """The `date_order` option names only columns the file has; raises BadMapping."""
    if isinstance(option, dict):
        unknown = sorted(set(option) - {column.header for column in columns})
        if unknown:
            raise BadMapping("date_order_unknown_columns", columns=unknown)


def cell_entry(
    item: CellFailure, headers: dict[int, str], orders: Orders, language: str
) -> dict[str, Any]:
    order = orders.get(item.column)
    params = {"value": item.value, **order_words(order, language)}
    reason = say(item.code, params, language)
    return {"line": item.line, "column": headers[item.column], "value": item.value,
            "code": item.code, "reason": reason}  # fmt: skip


def column_entry(
    column: Column, types: dict[int, str], failed: Counter, orders: Orders, language: str
) -> dict[str, Any]:
    """A column as the report lists it: what it fills, and for a typed one its type and how
    many of its cells did not fit it (left empty); for one of dates, their order and why."""
    if column.field in LEGAL_FIELDS:
        kind = LEGAL_FIELDS[column.field]
        entry = {"header": column.header, "field": column.field, "type": kind}
    elif column.field:
        return {"header": column.header, "field": column.field}
    else:
        kind = types[column.index]
        entry = {"header": column.header, "attribute": column.attribute, "type": kind}
    if kind in ("text", "json"):
        return entry
    entry["failed"] = failed[column.index]
    if (order := orders.get(column.index)) is not None:
        entry.update(order_entry(order, language))
    return entry
