"""Query helpers every resource uses: one object or 404, and keyset pages."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select

from voicecast.api.schemas import PageQuery, encode_cursor
from voicecast.errors import ApiError
from voicecast.extensions import db

T = TypeVar("T")


def one_or_404(stmt: Select[tuple[T]], what: str) -> T:
    """The single row of `stmt` (already scoped to the caller), or a 404 naming `what`."""
    row = db.session.scalar(stmt)
    if row is None:
        raise ApiError(404, f"No {what} with this id in your account.")
    return row


def keyset_page(stmt: Select[Any], id_column: Any, page: PageQuery) -> tuple[list[Any], str | None]:
    """Rows after the cursor in id order, and the cursor of the next page (None at the end)."""
    rows = list(
        db.session.scalars(
            stmt.where(id_column > page.after_id()).order_by(id_column).limit(page.limit + 1)
        )
    )
    if len(rows) <= page.limit:
        return rows, None
    rows = rows[: page.limit]
    return rows, encode_cursor(rows[-1].id)
