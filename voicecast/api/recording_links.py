"""Recording links: a manager sends a seller a personal page to record on, no password needed."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy import select

from voicecast.api import bp
from voicecast.api.auth import current_principal
from voicecast.api.queries import keyset_page, one_or_404
from voicecast.api.schemas import Input, Output, PageQuery
from voicecast.api.sellers import get_visible_seller
from voicecast.api.spec import operation
from voicecast.media.links import create_link, revoke_link
from voicecast.models import RecordingLink

TAG = "Recording links"


class LinkCreate(Input):
    ttl_hours: int | None = Field(
        default=None, ge=1, le=24 * 90, description="How long it works; default 7 days."
    )


class LinkOut(Output):
    id: int
    seller_id: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class LinkCreated(LinkOut):
    url: str = Field(description="The seller's personal page. Shown only in this response.")


class LinkPage(Output):
    items: list[LinkOut]
    next_cursor: str | None


@operation(
    bp,
    "/sellers/<int:seller_id>/recording-links",
    "POST",
    tag=TAG,
    summary="Create a recording link",
    body=LinkCreate,
    response=LinkCreated,
    status=201,
    errors=(403, 404),
)
def create_recording_link(seller_id: int, body: LinkCreate):
    """A personal, expiring link for the seller to record their message in the browser."""
    principal = current_principal()
    seller = get_visible_seller(seller_id)
    principal.require_manager()
    link, url = create_link(seller, principal.user, body.ttl_hours)
    return LinkCreated(**LinkOut.model_validate(link).model_dump(), url=url)


@operation(
    bp,
    "/sellers/<int:seller_id>/recording-links",
    "GET",
    tag=TAG,
    summary="List a seller's recording links",
    query=PageQuery,
    response=LinkPage,
    errors=(403, 404),
)
def list_recording_links(seller_id: int, query: PageQuery):
    """Links made for the seller, revoked and expired ones included (their URLs are not kept)."""
    principal = current_principal()
    seller = get_visible_seller(seller_id)
    principal.require_manager()
    stmt = select(RecordingLink).where(RecordingLink.seller_id == seller.id)
    rows, cursor = keyset_page(stmt, RecordingLink.id, query)
    return LinkPage(items=[LinkOut.model_validate(r) for r in rows], next_cursor=cursor)


@operation(
    bp,
    "/recording-links/<int:link_id>",
    "DELETE",
    tag=TAG,
    summary="Revoke a recording link",
    status=204,
    errors=(403, 404),
)
def revoke_recording_link(link_id: int):
    """The link stops working at once; revoking again changes nothing."""
    principal = current_principal()
    principal.require_manager()
    stmt = select(RecordingLink).where(
        RecordingLink.id == link_id, RecordingLink.account_id == principal.account_id
    )
    revoke_link(one_or_404(stmt, "recording link"))
