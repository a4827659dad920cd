"""A campaign's preview before launch: what it would do under the account's calling rules."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from voicecast.api import bp
from voicecast.api.campaign_actions import require_status
from voicecast.api.campaigns import get_campaign
from voicecast.api.schemas import Output
from voicecast.api.spec import operation
from voicecast.delivery.forecast import CALL_SECONDS, forecast
from voicecast.extensions import db
from voicecast.i18n import account_locale, money
from voicecast.models import Account
from voicecast.models.base import utcnow
from voicecast.models.campaign import CampaignStatus


class PreviewOut(Output):
    audience: int = Field(description="Contacts in the audience now.")
    to_call: int = Field(description="How many would be called.")
    skipped: dict[str, int] = Field(
        description="How many would not be, per reason (suppressed, no_legal_basis, "
        "refused_recently, no_seller, seller_inactive, no_recording)."
    )
    by_time_zone: dict[str, int] = Field(description="Contacts to call per time zone.")
    calls_per_second: float = Field(description="The pace the forecast assumes.")
    earliest_call: datetime | None = Field(description="When the first call would be placed.")
    expected_last_call: datetime | None = Field(
        description="When the last first attempt would be placed, calling at that pace within "
        "each zone's hours (retries come later); null: nothing to call."
    )
    estimated_cost: float = Field(description="One call per contact at PRICE_PER_CALL.")
    max_cost: float = Field(description="Every attempt used (max_attempts per contact).")
    currency: str
    estimated_cost_text: str = Field(
        description='estimated_cost as the account\'s people read it (French: "0,25 €").'
    )
    max_cost_text: str = Field(description="max_cost, written the same way.")
    calling_rules: dict
    assumptions: list[str]


@operation(bp, "/campaigns/<int:campaign_id>/preview", "GET", summary="Preview a campaign",
           tag="Campaigns", response=PreviewOut, errors=(403, 404, 409))  # fmt: skip
def preview_campaign(campaign_id: int):
    """Before launch: who would be called and who skipped (and why), when calls would start
    and end, and what they would cost, as planning would see the audience now."""
    campaign = get_campaign(campaign_id)
    require_status(campaign, CampaignStatus.DRAFT)
    result = forecast(campaign, utcnow())
    locale = account_locale(db.session.get(Account, campaign.account_id).country)
    return PreviewOut(
        audience=result.audience,
        to_call=result.to_call,
        skipped=result.skipped,
        by_time_zone=result.by_time_zone,
        calls_per_second=result.calls_per_second,
        earliest_call=result.earliest_call,
        expected_last_call=result.expected_last_call,
        estimated_cost=result.estimated_cost,
        max_cost=result.max_cost,
        currency=result.currency,
        estimated_cost_text=money(result.estimated_cost, result.currency, locale),
        max_cost_text=money(result.max_cost, result.currency, locale),
        calling_rules=result.rules.describe(),
        assumptions=[
            "the pace is the lowest of the campaign's and the carrier account's calls per "
            f"second and max_in_flight calls of {CALL_SECONDS} s each",
            "no other campaign shares the carrier account's pace",
            "contacts at their attempt cap when launched wait, and are not counted apart",
        ],
    )
