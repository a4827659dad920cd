"""Segments: saved, named filters over the contacts ("bought 2 years ago, Lyon, with a
servicing contract"), previewed before a campaign targets them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field
from sqlalchemy import func, select

from voicecast import clock
from voicecast.api import bp
from voicecast.api.auth import current_principal
from voicecast.api.contacts import ContactOut
from voicecast.api.queries import keyset_page, one_or_404
from voicecast.api.schemas import Input, Name, Output, PageQuery, not_null
from voicecast.api.spec import operation
from voicecast.errors import invalid_field
from voicecast.extensions import db
from voicecast.models import Account, Contact, Segment
from voicecast.models.base import utcnow
from voicecast.segments.filters import BadFilter, compile_filter
from voicecast.segments.warnings import failed_cell_warnings, latest_columns

TAG = "Segments"
SAMPLE = 10
FILTER_DOC = (
    'A condition {"field": "attr.ville", "op": "eq", "value": "Lyon"} or a group '
    '{"all"|"any": [...]}, {"not": ...}. Fields: contact columns or attr.<name>; ops: eq, ne, '
    "lt, lte, gt, gte, before, after, between, contains, in, exists, missing; relative dates: "
    '{"years_ago": 2}.'
)


class SegmentCreate(Input):
    name: Name
    filter: dict[str, Any] = Field(description=FILTER_DOC)


class SegmentUpdate(Input):
    name: Name = not_null()
    filter: dict[str, Any] = not_null(description=FILTER_DOC)


class SegmentWarning(Output):
    field: str = Field(description="The filter's field it is about, e.g. attr.date_d_achat.")
    code: str = Field(description="failed_cells: cells of that column did not fit its type.")
    failed_cells: int = Field(description="How many, in the import named.")
    import_id: int = Field(description="The latest import that gave the column.")
    message: str


WARNINGS_DOC = (
    "Attributes the filter reads whose column had cells that did not fit its type in the "
    "latest import giving it: those contacts have no value there and match no comparison."
)


class SegmentOut(Output):
    id: int
    name: str
    filter: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    warnings: list[SegmentWarning] = Field(default_factory=list, description=WARNINGS_DOC)

    @classmethod
    def of(cls, segment: Segment, columns: dict | None = None) -> SegmentOut:
        out = cls.model_validate(segment)
        out.warnings = warnings_of(segment, columns)
        return out


def warnings_of(segment: Segment, columns: dict | None = None) -> list[SegmentWarning]:
    """The segment's warnings; `columns`: the account's `latest_columns`, if read already."""
    if columns is None:
        columns = latest_columns(segment.account_id)
    return [SegmentWarning(**found) for found in failed_cell_warnings(segment.filter, columns)]


class SegmentPage(Output):
    items: list[SegmentOut]
    next_cursor: str | None


class SegmentPreview(Output):
    count: int = Field(description="Contacts matching now.")
    sample: list[ContactOut] = Field(description=f"Up to {SAMPLE} of them, by id.")
    warnings: list[SegmentWarning] = Field(default_factory=list, description=WARNINGS_DOC)


def account_segments():
    principal = current_principal()
    principal.require_manager()
    return select(Segment).where(Segment.account_id == principal.account_id)


def checked(filter_: dict[str, Any]) -> dict[str, Any]:
    """The filter, once it compiles; a 422 saying where it does not."""
    try:
        compile_filter(filter_, utcnow().date())
    except BadFilter as error:
        raise invalid_field(f"body.{error.path}", error.message, "filter") from None
    return filter_


@operation(bp, "/segments", "POST", summary="Save a segment", tag=TAG, body=SegmentCreate,
           response=SegmentOut, status=201, errors=(403,))  # fmt: skip
def create_segment(body: SegmentCreate):
    """The filter is checked now and evaluated whenever the segment is used."""
    principal = current_principal()
    principal.require_manager()
    segment = Segment(account_id=principal.account_id, name=body.name, filter=checked(body.filter))
    db.session.add(segment)
    db.session.commit()
    return SegmentOut.of(segment)


@operation(bp, "/segments", "GET", summary="List segments", tag=TAG, query=PageQuery,
           response=SegmentPage, errors=(403,))  # fmt: skip
def list_segments(query: PageQuery):
    rows, cursor = keyset_page(account_segments(), Segment.id, query)
    columns = latest_columns(current_principal().account_id)
    return SegmentPage(items=[SegmentOut.of(row, columns) for row in rows], next_cursor=cursor)


def get_segment_or_404(segment_id: int) -> Segment:
    return one_or_404(account_segments().where(Segment.id == segment_id), "segment")


@operation(bp, "/segments/<int:segment_id>", "GET", summary="Get a segment", tag=TAG,
           response=SegmentOut, errors=(403, 404))  # fmt: skip
def get_segment(segment_id: int):
    return SegmentOut.of(get_segment_or_404(segment_id))


@operation(bp, "/segments/<int:segment_id>", "PATCH", summary="Change a segment", tag=TAG,
           body=SegmentUpdate, response=SegmentOut, errors=(403, 404))  # fmt: skip
def update_segment(segment_id: int, body: SegmentUpdate):
    """Campaigns already planned keep the contacts they took."""
    segment = get_segment_or_404(segment_id)
    fields = body.model_dump(exclude_unset=True)
    if "filter" in fields:
        segment.filter = checked(fields["filter"])
    if "name" in fields:
        segment.name = fields["name"]
    db.session.commit()
    return SegmentOut.of(segment)


@operation(bp, "/segments/<int:segment_id>", "DELETE", summary="Delete a segment", tag=TAG,
           errors=(403, 404))  # fmt: skip
def delete_segment(segment_id: int):
    db.session.delete(get_segment_or_404(segment_id))
    db.session.commit()


@operation(bp, "/segments/<int:segment_id>/preview", "GET", summary="Preview a segment",
           tag=TAG, response=SegmentPreview, errors=(403, 404))  # fmt: skip
def preview_segment(segment_id: int):
    """How many contacts match now, and a sample: one COUNT and one query, in the database."""
    segment = get_segment_or_404(segment_id)
    account = db.session.get(Account, segment.account_id)
    condition = compile_filter(segment.filter, clock.today_in(account.timezone))
    scope = (Contact.account_id == segment.account_id, condition)
    count = db.session.scalar(select(func.count()).select_from(Contact).where(*scope))
    sample = db.session.scalars(select(Contact).where(*scope).order_by(Contact.id).limit(SAMPLE))
    return SegmentPreview(
        count=count or 0,
        sample=[ContactOut.model_validate(c) for c in sample],
        warnings=warnings_of(segment),
    )
