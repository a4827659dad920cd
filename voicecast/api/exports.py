"""CSV exports of a campaign's deliveries and callbacks (`voicecast.exports`).

Besides an API key, these two GET routes accept a logged-in manager's session cookie, so the
web pages link to them directly. They only read, so a cookie sent along with a link from
another site could do no more than download a file to the manager's own browser.
"""

from __future__ import annotations

from typing import Literal

from flask import g
from flask_login import current_user
from pydantic import Field

from voicecast.api import SESSION_ENDPOINTS, bp
from voicecast.api.schemas import QueryInput
from voicecast.api.spec import operation
from voicecast.exports import Scope, callbacks_csv, deliveries_csv

TAG = "Exports"


class ExportQuery(QueryInput):
    delimiter: Literal["comma", "semicolon"] = Field(
        default="comma",
        description="comma: UTF-8, decimal point (for programs). semicolon: for French Excel "
        "(semicolons, decimal comma, UTF-8 with a BOM so accents read right).",
    )
    lang: Literal["fr", "en", "en-US"] | None = Field(
        default=None,
        description="The language of the titles and labels; the account's by default (fr for "
        "a French account, en-US for a US one, else en). fr: French titles, each code column "
        "followed by its label, oui/non, times in the account's zone. en: the codes as titles, "
        "English labels, times in UTC (for programs). en-US: English titles and labels, numbers "
        "as (213) 555-0143, costs as $0.14, times as 12/06/2026 8:00 PM CST in the account's "
        "zone.",
    )


def caller_scope() -> Scope:
    """The API key's user, else the logged-in user (`require_api_key` let them through)."""
    principal = g.get("principal")
    if principal is not None:
        return Scope.of_user(principal.user)
    return Scope.of_user(current_user)


@operation(
    bp,
    "/campaigns/<int:campaign_id>/deliveries.csv",
    "GET",
    summary="Export a campaign's deliveries (CSV)",
    tag=TAG,
    query=ExportQuery,
    media_type="text/csv",
    errors=(403, 404),
)
def campaign_deliveries_csv(campaign_id: int, query: ExportQuery):
    """One row per number of the campaign, ordered by phone number: delivery_id, phone,
    contact_id, contact_first_name, contact_last_name, seller_id, seller_name, status, reason,
    attempts, last_attempt_at, last_attempt_state, last_attempt_outcome, answered_by, call_sid,
    next_attempt_at, cost and cost_currency (the carrier's prices of its calls, once known).
    Each code column (status, reason, last_attempt_state, last_attempt_outcome, answered_by) is
    followed by its label (`status_label`...), in `lang`: with `lang=en` the titles are these
    names and times are in UTC; in French (a French account's default) the titles are French
    and times in the account's zone. Streamed: any size. Managers and admins; a logged-in
    manager's session works too."""
    return deliveries_csv(caller_scope(), campaign_id, query.delimiter, query.lang)


@operation(
    bp,
    "/campaigns/<int:campaign_id>/callbacks.csv",
    "GET",
    summary="Export a campaign's callbacks (CSV)",
    tag=TAG,
    query=ExportQuery,
    media_type="text/csv",
    errors=(404,),
)
def campaign_callbacks_csv(campaign_id: int, query: ExportQuery):
    """One row per customer's call back after the campaign's message, oldest first:
    callback_id, started_at, caller, number_called, contact_id, contact_first_name,
    contact_last_name, delivery_id, seller_id, seller_name, route, dialed_number, dial_status,
    outcome, accepted_at, ended_at, duration_seconds, talk_seconds, recording_seconds, notified
    (yes/no), notified_at, call_sid; route, dial_status and outcome each followed by its label
    (`route_label`...). Titles, labels and times as for deliveries.csv (`lang`). A seller's key
    gets their own callbacks only; a logged-in manager's session works too."""
    return callbacks_csv(caller_scope(), campaign_id, query.delimiter, query.lang)


SESSION_ENDPOINTS.update({"api.campaign_deliveries_csv", "api.campaign_callbacks_csv"})
