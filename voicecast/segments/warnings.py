"""What a segment should say along with its contacts: a filter on an attribute some of whose
cells did not fit their column's type in the last import that gave it (those contacts have no
value there, so no comparison matches them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from voicecast.extensions import db
from voicecast.models import Campaign, ContactImport, ImportStatus, Segment
from voicecast.segments.filters import ATTRIBUTE

RECENT_IMPORTS = 20  # how far back the imports are read for an attribute's column


def attribute_names(node: Any) -> Iterator[str]:
    """The attributes a (valid) filter's conditions read, in order, each once per use."""
    if not isinstance(node, dict):
        return
    for kind in ("all", "any"):
        for item in node.get(kind) or ():
            yield from attribute_names(item)
    if "not" in node:
        yield from attribute_names(node["not"])
    field = node.get("field")
    if isinstance(field, str) and field.startswith(ATTRIBUTE):
        yield field[len(ATTRIBUTE) :]


def latest_columns(account_id: int) -> dict[str, dict[str, Any]]:
    """Each attribute column of the account's recent imports, as the latest import giving it
    left it: `import_id`, `failed` (its cells that did not fit its type) and `header` (the
    column's header in that file)."""
    found: dict[str, dict[str, int]] = {}
    stmt = (
        select(ContactImport.id, ContactImport.report)
        .where(ContactImport.account_id == account_id, ContactImport.status == ImportStatus.DONE)
        .order_by(ContactImport.id.desc())
        .limit(RECENT_IMPORTS)
    )
    for import_id, report in db.session.execute(stmt):
        for column in (report or {}).get("columns", ()):
            name = column.get("attribute")
            if name and name not in found:
                found[name] = {"import_id": import_id, "failed": column.get("failed", 0),
                               "header": column.get("header") or name}  # fmt: skip
    return found


def failed_cell_warnings(
    filter_: dict[str, Any], columns: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """For each attribute the filter reads whose column had cells that did not fit its type
    (`columns`: `latest_columns`), a warning naming it."""
    wanted = list(dict.fromkeys(attribute_names(filter_)))
    return [
        {
            "field": f"{ATTRIBUTE}{name}",
            "code": "failed_cells",
            "failed_cells": columns[name]["failed"],
            "import_id": columns[name]["import_id"],
            "message": (
                f"{columns[name]['failed']} cells of {ATTRIBUTE}{name} did not fit its type in "
                f"import {columns[name]['import_id']}: those contacts have no value there and "
                "no comparison matches them (see the import's cell_errors)."
            ),
        }
        for name in wanted
        if name in columns and columns[name]["failed"]
    ]


def audience_segment(campaign: Campaign) -> Segment | None:
    """The segment a campaign's audience is, if it is one of its account's."""
    audience = campaign.audience or {}
    if audience.get("kind") != "segment":
        return None
    segment = db.session.get(Segment, audience.get("segment_id"))
    return segment if segment is not None and segment.account_id == campaign.account_id else None


def campaign_warnings(campaign: Campaign) -> list[dict[str, Any]]:
    """The warnings of the segment a campaign calls (none for another audience): its preview
    shows them, in the API and on the draft's page."""
    segment = audience_segment(campaign)
    if segment is None:
        return []
    columns = latest_columns(campaign.account_id)
    return [
        {**warning, "segment_id": segment.id, "segment": segment.name,
         "header": columns[warning["field"].removeprefix(ATTRIBUTE)]["header"]}
        for warning in failed_cell_warnings(segment.filter, columns)
    ]  # fmt: skip
