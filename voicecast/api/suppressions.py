"""The account's do-not-call list: numbers no campaign may dial, checked when a campaign is
planned and again right before each call."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy import select

from voicecast.api import bp
from voicecast.api.auth import current_principal
from voicecast.api.queries import keyset_page, one_or_404
from voicecast.api.schemas import Input, Output, PageQuery, PhoneInput, QueryInput
from voicecast.api.spec import operation
from voicecast.errors import invalid_field
from voicecast.extensions import db
from voicecast.imports.source import UnreadableFile
from voicecast.imports.suppressions import import_suppressions
from voicecast.models import Suppression
from voicecast.outbound import events
from voicecast.people import phone_for_account

TAG = "Do-not-call list"


class SuppressionCreate(Input):
    phone: PhoneInput
    reason: str | None = Field(default=None, max_length=200, description="e.g. 'asked by mail'.")


class SuppressionOut(Output):
    id: int
    phone: str
    source: str = Field(
        description="api: added here; import: from a file; callback: the opt-out key when "
        "calling back; opt_out_key: the opt-out key pressed during a drop's message."
    )
    reason: str | None
    created_at: datetime


class SuppressionPage(Output):
    items: list[SuppressionOut]
    next_cursor: str | None


class SuppressionQuery(PageQuery):
    phone: PhoneInput | None = Field(
        default=None, description="Only this number (any written form)."
    )


def account_suppressions():
    principal = current_principal()
    principal.require_manager()
    return select(Suppression).where(Suppression.account_id == principal.account_id)


@operation(
    bp,
    "/suppressions",
    "POST",
    summary="Add a number to the do-not-call list",
    tag=TAG,
    body=SuppressionCreate,
    response=SuppressionOut,
    status=201,
    also=((200, "The number was already listed: its entry as it is, unchanged."),),
    errors=(403,),
)
def add_suppression(body: SuppressionCreate):
    """Honoured at once: the number is not dialed again, not even by a campaign already
    running (each call checks the list right before it leaves). Adding a number already on
    the list answers it as it is (200)."""
    stmt = account_suppressions()
    principal = current_principal()
    phone = phone_for_account(body.phone, principal.user.account, "body.phone")
    existing = db.session.scalar(stmt.where(Suppression.phone == phone))
    if existing is not None:
        return SuppressionOut.model_validate(existing), 200
    entry = Suppression(
        account_id=principal.account_id, phone=phone, source="api", reason=body.reason
    )
    db.session.add(entry)
    db.session.flush()
    events.opt_out(entry.account_id, entry.phone, "api", entry.reason, entry.created_at)
    db.session.commit()
    return SuppressionOut.model_validate(entry)


@operation(
    bp,
    "/suppressions",
    "GET",
    summary="List the do-not-call list",
    tag=TAG,
    query=SuppressionQuery,
    response=SuppressionPage,
    errors=(403,),
)
def list_suppressions(query: SuppressionQuery):
    """Oldest first."""
    stmt = account_suppressions()
    if query.phone:
        account = current_principal().user.account
        stmt = stmt.where(Suppression.phone == phone_for_account(query.phone, account, "phone"))
    rows, cursor = keyset_page(stmt, Suppression.id, query)
    return SuppressionPage(
        items=[SuppressionOut.model_validate(row) for row in rows], next_cursor=cursor
    )


@operation(
    bp,
    "/suppressions/<int:suppression_id>",
    "DELETE",
    summary="Take a number off the do-not-call list",
    tag=TAG,
    status=204,
    errors=(403, 404),
)
def remove_suppression(suppression_id: int):
    """Campaigns may call the number again (those planned meanwhile left it out for good)."""
    entry = one_or_404(
        account_suppressions().where(Suppression.id == suppression_id), "do-not-call entry"
    )
    db.session.delete(entry)
    db.session.commit()


class SuppressionImportForm(QueryInput):
    reason: str | None = Field(
        default=None, max_length=200, description="Noted on each number the file adds "
        "(a reason column in the file wins), e.g. 'Bloctel 2026-11'."
    )  # fmt: skip


class SuppressionImportReport(Output):
    rows: int = Field(description="Rows read (blank lines left out).")
    added: int
    already_listed: int
    duplicates: int = Field(description="Numbers seen earlier in the same file.")
    rejected: int
    errors: list[dict] = Field(description="Each rejected row: {line, reason}.")
    encoding: str
    delimiter: str


@operation(
    bp,
    "/suppressions/import",
    "POST",
    summary="Add a file of numbers to the do-not-call list",
    tag=TAG,
    form=SuppressionImportForm,
    response=SuppressionImportReport,
    status=200,
    errors=(403, 413, 422),
)
def import_suppression_file(form: SuppressionImportForm, upload):
    """A CSV with a column of numbers (headed phone, téléphone, numéro...; a reason or motif
    column is kept) or a bare list of numbers, one per line. Numbers already listed stay as
    they are; each row that is not a number is reported with its line."""
    principal = current_principal()
    principal.require_manager()
    account = principal.user.account
    try:
        report = import_suppressions(account, upload.read(), form.reason)
    except UnreadableFile as error:
        raise invalid_field("body.file", str(error), "file") from None
    return SuppressionImportReport(**report)
