"""The feeds' API: /api/v1/feeds, a nightly file from the dealer's system (managers only, the
account's rows only, 404 for anyone else's). The file is put by the dealer's system; each day
at the feed's time the file on hand is imported, and each run is listed with its report."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints
from sqlalchemy import Select, select

from voicecast.api import bp
from voicecast.api.auth import Principal, current_principal
from voicecast.api.idempotency import once
from voicecast.api.queries import keyset_page, one_or_404
from voicecast.api.schemas import Input, Name, Output, PageQuery, QueryInput
from voicecast.api.spec import operation
from voicecast.api.validation import reject_nulls
from voicecast.errors import ApiError
from voicecast.extensions import db
from voicecast.imports.feeds import put_file, queue_at_best, run_now, schedule
from voicecast.models import Account, ContactImport, Feed, FeedRun
from voicecast.models.base import utcnow

TAG = "Feeds"
TimeOfDay = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
Order = Literal["MDY", "DMY"]
Header = Annotated[str, StringConstraints(min_length=1, max_length=200)]
OPTIONS = ("match_on", "mapping", "date_order")


class FeedFields(Input):
    name: Name
    run_at: TimeOfDay = Field(
        default="02:00", description="When the file on hand is imported each day, HH:MM in "
        "the account's time zone.",
    )  # fmt: skip
    match_on: Literal["phone", "external_id"] = Field(
        default="phone",
        description="How a row finds the contact it updates: its number, or external_id.",
    )
    mapping: dict[Header, Header] | None = Field(
        default=None, description='As an import\'s: {"column header": "phone" | ... | '
        '"attr:name" | "ignore"}, for columns whose header is not recognised.',
    )  # fmt: skip
    date_order: Order | dict[Header, Order] | None = Field(
        default=None, description="As an import's: how slashed dates read, for every column "
        "or by header.",
    )  # fmt: skip


class FeedUpdate(Input):
    name: Name | None = None
    run_at: TimeOfDay | None = None
    active: bool | None = Field(default=None, description="false: no run until set back.")
    match_on: Literal["phone", "external_id"] | None = None
    mapping: dict[Header, Header] | None = None
    date_order: Order | dict[Header, Order] | None = None


class FeedFileOut(Output):
    filename: str
    sha256: str
    size: int
    put_at: datetime


class FeedOut(Output):
    id: int
    name: str
    run_at: str = Field(description="HH:MM, the account's local time.")
    active: bool
    match_on: str
    mapping: dict[str, str] | None
    date_order: str | dict[str, str] | None
    next_run_at: datetime = Field(description="When the next run is due (UTC).")
    file: FeedFileOut | None = Field(description="The file the next run imports; null: none yet.")
    created_at: datetime
    updated_at: datetime


class FeedPage(Output):
    items: list[FeedOut]
    next_cursor: str | None


class FileForm(QueryInput):
    """A feed's file: the multipart part `file` alone."""


class FeedRunOut(Output):
    id: int
    feed_id: int
    due_at: datetime = Field(description="The scheduled instant it ran for (for a run asked "
                             "for by POST /feeds/{id}/runs: when it was asked).")  # fmt: skip
    status: str = Field(description="queued, running, done, or failed (with error).")
    error: str | None = Field(description="Why it failed: no file, a file that cannot be read.")
    file_sha256: str | None = Field(description="The file it imported (the same twice: the "
                                    "second run's report has every row unchanged).")  # fmt: skip
    import_id: int | None = Field(description="Its import (GET /contacts/imports/{id}).")
    report: dict[str, Any] | None = Field(description="The import's report, as a file's.")
    created_at: datetime
    finished_at: datetime | None


class FeedRunPage(Output):
    items: list[FeedRunOut]
    next_cursor: str | None


def visible_feeds(principal: Principal) -> Select[tuple[Feed]]:
    principal.require_manager()
    return select(Feed).where(Feed.account_id == principal.account_id)


def get_feed(feed_id: int) -> Feed:
    return one_or_404(visible_feeds(current_principal()).where(Feed.id == feed_id), "feed")


def account_zone(feed: Feed) -> str:
    return db.session.get(Account, feed.account_id).timezone


def feed_out(feed: Feed) -> FeedOut:
    file = None
    if feed.file_sha256 is not None:
        file = FeedFileOut(filename=feed.filename or "", sha256=feed.file_sha256,
                           size=feed.file_size or 0, put_at=feed.file_put_at)  # fmt: skip
    options = {name: feed.options.get(name) for name in OPTIONS}
    options["match_on"] = options["match_on"] or "phone"
    shown = ("id", "name", "run_at", "active", "next_run_at", "created_at", "updated_at")
    values = {name: getattr(feed, name) for name in shown}
    return FeedOut(**values, **options, file=file)


def run_out(run: FeedRun, record: ContactImport | None) -> FeedRunOut:
    status, error, report, finished = "failed", run.error, None, run.created_at
    if record is not None:
        status, report, finished = record.status.value, record.report, record.finished_at
        error = record.error
    return FeedRunOut(id=run.id, feed_id=run.feed_id, due_at=run.due_at, status=status,
                      error=error, file_sha256=run.file_sha256, import_id=run.import_id,
                      report=report, created_at=run.created_at, finished_at=finished)  # fmt: skip


@operation(bp, "/feeds", "POST", summary="Create a feed", tag=TAG, body=FeedFields,
           response=FeedOut, status=201, errors=(403,))  # fmt: skip
def create_feed(body: FeedFields):
    """A nightly feed: the dealer's system puts its file (`PUT /feeds/{id}/file`), imported
    every day at `run_at` in the account's zone. Send an `Idempotency-Key` header to make
    retries safe."""
    principal = current_principal()
    principal.require_manager()

    def act() -> FeedOut:
        options = body.model_dump(mode="json", include=set(OPTIONS))
        feed = Feed(account_id=principal.account_id, name=body.name, run_at=body.run_at,
                    active=True, options=options)  # fmt: skip
        schedule(feed, principal.user.account.timezone, utcnow())
        db.session.add(feed)
        db.session.flush()
        return feed_out(feed)

    return once("create_feed", 201, act)


@operation(bp, "/feeds", "GET", summary="List feeds", tag=TAG, query=PageQuery,
           response=FeedPage, errors=(403,))  # fmt: skip
def list_feeds(query: PageQuery):
    """The account's feeds, oldest first."""
    rows, cursor = keyset_page(visible_feeds(current_principal()), Feed.id, query)
    return FeedPage(items=[feed_out(row) for row in rows], next_cursor=cursor)


@operation(bp, "/feeds/<int:feed_id>", "GET", summary="Get a feed", tag=TAG, response=FeedOut,
           errors=(403, 404))  # fmt: skip
def get_feed_state(feed_id: int):
    """Its settings, its next run and the file it will import."""
    return feed_out(get_feed(feed_id))


@operation(bp, "/feeds/<int:feed_id>", "PATCH", summary="Update a feed", tag=TAG,
           body=FeedUpdate, response=FeedOut, errors=(403, 404))  # fmt: skip
def update_feed(feed_id: int, body: FeedUpdate):
    """Change the fields sent; a new `run_at`, or a feed made active again, runs next at that
    time of day after now. `mapping` and `date_order` may be null (none)."""
    feed = get_feed(feed_id)
    fields = body.model_dump(mode="json", include=body.model_fields_set, warnings=False)
    reject_nulls(fields, tuple(set(fields) - {"mapping", "date_order"}))
    feed.options = {**feed.options, **{k: v for k, v in fields.items() if k in OPTIONS}}
    for name in ("name", "run_at", "active"):
        if name in fields:
            setattr(feed, name, fields[name])
    if "run_at" in fields or fields.get("active"):
        schedule(feed, account_zone(feed), utcnow())
    db.session.commit()
    return feed_out(feed)


@operation(bp, "/feeds/<int:feed_id>/file", "PUT", summary="Put a feed's file", tag=TAG,
           form=FileForm, response=FeedOut, errors=(403, 404, 413))  # fmt: skip
def put_feed_file(feed_id: int, form: FileForm, upload):
    """The file the feed's next runs import (a CSV, read as an import reads it), replacing
    the previous one; up to MAX_UPLOAD_BYTES. Putting the same file again is harmless: a run
    of the same file changes nothing."""
    feed = get_feed(feed_id)
    put_file(feed, upload.filename or f"{feed.name}.csv", upload.read(), utcnow())
    db.session.commit()
    return feed_out(feed)


@operation(bp, "/feeds/<int:feed_id>/runs", "POST", summary="Run a feed now", tag=TAG,
           response=FeedRunOut, status=202, errors=(403, 404, 409))  # fmt: skip
def start_feed_run(feed_id: int):
    """Import the feed's file on hand now, without waiting for its time of day (the nightly
    run stays due, and imports the file then on hand). 409 while no file was put. The run
    is queued: follow it by GET /feeds/{id}/runs/{run_id}. Send an `Idempotency-Key` header
    to make retries safe (running the same file twice changes nothing anyway)."""
    feed = get_feed(feed_id)
    if feed.file_sha256 is None:
        raise ApiError(409, "The feed has no file to import yet: put one first "
                       f"(PUT /api/v1/feeds/{feed.id}/file).")  # fmt: skip

    def act() -> FeedRunOut:
        run = run_now(feed, utcnow())
        return run_out(run, db.session.get(ContactImport, run.import_id))

    answer = once("start_feed_run", 202, act)
    if isinstance(answer, FeedRunOut) and answer.import_id is not None:
        queue_at_best(answer.import_id)  # committed: a replayed answer's import was queued
    return answer


@operation(bp, "/feeds/<int:feed_id>/runs", "GET", summary="List a feed's runs", tag=TAG,
           query=PageQuery, response=FeedRunPage, errors=(403, 404))  # fmt: skip
def list_feed_runs(feed_id: int, query: PageQuery):
    """Each run, oldest first, with its status and its import's report (or why it failed)."""
    feed = get_feed(feed_id)
    rows, cursor = keyset_page(select(FeedRun).where(FeedRun.feed_id == feed.id), FeedRun.id, query)
    ids = [row.import_id for row in rows if row.import_id is not None]
    found = db.session.scalars(select(ContactImport).where(ContactImport.id.in_(ids)))
    imports = {record.id: record for record in found}
    items = [run_out(row, imports.get(row.import_id)) for row in rows]
    return FeedRunPage(items=items, next_cursor=cursor)


@operation(bp, "/feeds/<int:feed_id>/runs/<int:run_id>", "GET", summary="Get a feed's run",
           tag=TAG, response=FeedRunOut, errors=(403, 404))  # fmt: skip
def get_feed_run(feed_id: int, run_id: int):
    """One run: its status, and its import's report or why it failed."""
    feed = get_feed(feed_id)
    run = one_or_404(select(FeedRun).where(FeedRun.id == run_id, FeedRun.feed_id == feed.id),
                     "feed run")  # fmt: skip
    record = db.session.get(ContactImport, run.import_id) if run.import_id else None
    return run_out(run, record)
