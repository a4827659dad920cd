"""CSV exports of a campaign: its deliveries and its callbacks, streamed in batches.

One function per export takes who is asking (`Scope`), the campaign and the flavour
(`?delimiter=`) and returns a streaming Response, so the API (bearer keys,
`voicecast.api.exports`) and the web pages (a manager's session) serve the same files:

    from voicecast.exports import Scope, deliveries_csv
    return deliveries_csv(Scope.of_user(current_user), campaign_id, request.args.get("delimiter"))
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response
from sqlalchemy import select

from voicecast.errors import ApiError
from voicecast.exports.callbacks import COLUMNS as CALLBACK_COLUMNS
from voicecast.exports.callbacks import callback_batches
from voicecast.exports.csvstream import DELIMITERS, Language, csv_response, flavour_named
from voicecast.exports.deliveries import COLUMNS as DELIVERY_COLUMNS
from voicecast.exports.deliveries import delivery_batches
from voicecast.extensions import db
from voicecast.i18n import account_locale
from voicecast.models import Account, User
from voicecast.models.campaign import Campaign

__all__ = ["DELIMITERS", "Scope", "callbacks_csv", "deliveries_csv"]

US_ENGLISH = "en-US"  # a US account's exports, for people: see csvstream's docstring


@dataclass(frozen=True)
class Scope:
    """Whose rows an export may hold: the account's, or (`seller_id`) one seller's only."""

    account_id: int
    seller_id: int | None = None

    @classmethod
    def of_user(cls, user: User) -> Scope:
        """A manager or admin sees the whole account; a seller their own rows."""
        return cls(user.account_id, None if user.role.sees_whole_account else user.id)

    @property
    def whole_account(self) -> bool:
        return self.seller_id is None


def campaign_of(scope: Scope, campaign_id: int) -> Campaign:
    """The campaign, if it is the scope's account's; else 404 as if it did not exist."""
    campaign = db.session.scalar(
        select(Campaign).where(Campaign.id == campaign_id, Campaign.account_id == scope.account_id)
    )
    if campaign is None:
        raise ApiError(404, "No campaign with this id in your account.")
    return campaign


def language_of(scope: Scope, lang: str | None) -> Language:
    """`lang` ("fr", "en", "en-US"), else the account's: French and US English write the
    account's times, plain English (for programs) UTC."""
    account = db.session.get(Account, scope.account_id)
    if (lang or (US_ENGLISH if account.country == "US" else None)) == US_ENGLISH:
        return Language("en", account.timezone, us=True)
    locale = lang or account_locale(account.country)
    return Language(locale, account.timezone if locale == "fr" else None)


def deliveries_csv(
    scope: Scope, campaign_id: int, delimiter: str | None = None, lang: str | None = None
) -> Response:
    """Every delivery of the campaign: one row per number (managers and admins only, like
    `GET /campaigns/{id}/deliveries`)."""
    flavour = flavour_named(delimiter)
    if not scope.whole_account:
        raise ApiError(403, "This needs a manager's or an admin's API key.")
    campaign = campaign_of(scope, campaign_id)
    return csv_response(
        f"campaign-{campaign.id}-deliveries.csv",
        DELIVERY_COLUMNS,
        lambda cells: delivery_batches(campaign.id, scope.account_id, cells),
        flavour,
        language_of(scope, lang),
    )


def callbacks_csv(
    scope: Scope, campaign_id: int, delimiter: str | None = None, lang: str | None = None
) -> Response:
    """Every callback the campaign's message brought (a seller's scope: their own only, like
    `GET /callbacks`)."""
    flavour = flavour_named(delimiter)
    campaign = campaign_of(scope, campaign_id)
    return csv_response(
        f"campaign-{campaign.id}-callbacks.csv",
        CALLBACK_COLUMNS,
        lambda cells: callback_batches(campaign.id, scope.account_id, scope.seller_id, cells),
        flavour,
        language_of(scope, lang),
    )
