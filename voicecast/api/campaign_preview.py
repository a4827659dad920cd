"""A campaign's preview before launch: what it would do under the account's calling rules."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from voicecast.api import bp
from voicecast.api.campaign_actions import require_status
from voicecast.api.campaigns import get_campaign
from voicecast.api.national_dnc import RegistryWarning, registry_warnings
from voicecast.api.schemas import Output
from voicecast.api.spec import operation
from voicecast.delivery.forecast import Eta, forecast
from voicecast.delivery.pace import Pace
from voicecast.extensions import db
from voicecast.i18n import account_locale, money
from voicecast.models import Account
from voicecast.models.base import utcnow
from voicecast.models.campaign import CampaignStatus
from voicecast.rules.waiting import local_text as local
from voicecast.segments.warnings import campaign_warnings


class LimitOut(Output):
    name: str = Field(description="campaign_rate, account_limit or max_in_flight.")
    calls_per_second: float = Field(description="The pace this limit alone would allow.")
    explanation: str


class PaceOut(Output):
    calls_per_second: float = Field(description="The pace calls would be placed at.")
    limited_by: str = Field(description="The limit that sets it (see `limits`).")
    explanation: str
    call_seconds: float = Field(
        description="A call's length assumed for max_in_flight: the mean of the account's "
        "recent calls, else 45 s."
    )
    measured_calls: int = Field(description="Ended calls measured for call_seconds (0: none).")
    limits: list[LimitOut]


class PauseOut(Output):
    zone: str
    closes_at: datetime = Field(description="When the zone's calling window closes.")
    reopens_at: datetime | None = Field(description="When it opens again (null: not in a year).")
    closed_because: str = Field(description="'hours', or the public holiday's name.")


class EtaOut(Output):
    last_call_at: datetime | None = Field(
        description="When the last first attempt would be placed (retries come later); "
        "null: nothing to call, or not within a year."
    )
    explanation: str
    window_pauses: list[PauseOut] = Field(
        description="The first window closings met with calls still to place."
    )
    window_pause_count: int = Field(description="How many closings are met in all.")
    last_retry_at: datetime | None = Field(
        description="The last retry at the latest, were every attempt used (max_attempts, "
        "retry_delays_seconds, each waiting for its window); null: no retry."
    )


class AudienceWarning(Output):
    segment_id: int
    segment: str = Field(description="The segment's name.")
    field: str = Field(description="The attribute its filter reads, e.g. attr.date_d_achat.")
    header: str = Field(description="That column's header in the import's file.")
    code: str = Field(description="failed_cells")
    failed_cells: int = Field(description="Its cells that did not fit the column's type.")
    import_id: int = Field(description="The import they failed in (see its cell_errors).")
    message: str


class PreviewOut(Output):
    audience: int = Field(description="Contacts in the audience now.")
    to_call: int = Field(description="How many would be called.")
    skipped: dict[str, int] = Field(
        description="How many would not be, per reason (suppressed, national_dnc, "
        "no_legal_basis, refused_recently, no_seller, seller_inactive, no_recording)."
    )
    by_time_zone: dict[str, int] = Field(description="Contacts to call per time zone.")
    calls_per_second: float = Field(description="The pace the forecast assumes (pace's).")
    pace: PaceOut
    earliest_call: datetime | None = Field(description="When the first call would be placed.")
    expected_last_call: datetime | None = Field(
        description="eta.last_call_at, kept for clients that read it here."
    )
    eta: EtaOut
    estimated_cost: float = Field(description="One call per contact at PRICE_PER_CALL.")
    max_cost: float = Field(description="Every attempt used (max_attempts per contact).")
    currency: str
    estimated_cost_text: str = Field(
        description='estimated_cost as the account\'s people read it (French: "0,25 €").'
    )
    max_cost_text: str = Field(description="max_cost, written the same way.")
    calling_rules: dict
    warnings: list[AudienceWarning] = Field(
        default_factory=list,
        description="The audience segment's warnings (as GET /segments/{id} gives them): a "
        "filter on a column some of whose cells did not fit its type, whose contacts match no "
        "comparison there.",
    )
    registry_warnings: list[RegistryWarning] = Field(
        default_factory=list,
        description="US accounts: each area code of the audience whose National Do Not Call "
        "scrub is missing or older than 31 days (see GET /national-dnc).",
    )
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
        calls_per_second=result.pace.calls_per_second,
        pace=pace_out(result.pace),
        earliest_call=result.earliest_call,
        expected_last_call=result.eta.last_call,
        eta=eta_out(result.eta, result.to_call, result.pace),
        estimated_cost=result.estimated_cost,
        max_cost=result.max_cost,
        currency=result.currency,
        estimated_cost_text=money(result.estimated_cost, result.currency, locale),
        max_cost_text=money(result.max_cost, result.currency, locale),
        calling_rules=result.rules.describe(),
        warnings=[AudienceWarning(**found) for found in campaign_warnings(campaign)],
        registry_warnings=registry_warnings(campaign),
        assumptions=[
            "the pace is the lowest of the limits in pace.limits",
            "no other campaign shares the carrier account's pace",
            "contacts at their attempt cap when launched wait, and are not counted apart",
        ],
    )


def pace_out(pace: Pace) -> PaceOut:
    return PaceOut(
        calls_per_second=pace.calls_per_second,
        limited_by=pace.limited_by,
        explanation=pace.explanation,
        call_seconds=pace.call_seconds,
        measured_calls=pace.measured_calls,
        limits=[LimitOut(**vars(limit)) for limit in pace.limits],
    )


def eta_out(eta: Eta, to_call: int, pace: Pace) -> EtaOut:
    return EtaOut(
        last_call_at=eta.last_call,
        explanation=eta_explanation(eta, to_call, pace),
        window_pauses=[PauseOut(**vars(pause)) for pause in eta.pauses],
        window_pause_count=eta.pause_count,
        last_retry_at=eta.last_retry,
    )


def eta_explanation(eta: Eta, to_call: int, pace: Pace) -> str:
    """The ETA in a sentence: the calls at the pace, and the first window closing met."""
    if not to_call:
        return "nothing to call"
    text = f"{to_call} calls at {pace.calls_per_second:g} calls/s"
    if eta.pauses:
        first = eta.pauses[0]
        closed = "" if first.closed_because == "hours" else f" ({first.closed_because})"
        reopens = (
            f"it reopens at {local(first.reopens_at, first.zone)}"
            if first.reopens_at
            else "it does not reopen within a year"
        )
        text += (
            f"; the calling window closes at {local(first.closes_at, first.zone)} with calls "
            f"left{closed}, {reopens}"
        )
        if eta.pause_count > 1:
            text += f" ({eta.pause_count} closings in all)"
    if eta.last_call is None:
        return text + "; the last call would not be placed within a year"
    return text + f"; last first attempt around {eta.last_call:%Y-%m-%d %H:%M:%S} UTC"
