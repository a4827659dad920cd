"""Outcomes and reports as clients send and receive them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from voicecast.api.schemas import (
    Id,
    Input,
    Output,
    PageQuery,
    PhoneInput,
    check_exactly_one,
    exactly_one_of,
)
from voicecast.outcomes.models import OutcomeKind, Touch, Unattributed

MAX_BATCH = 10_000
KEYS = ("contact_id", "external_id", "phone")
Reference = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"\S")
]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class OutcomeIn(Input):
    model_config = ConfigDict(json_schema_extra=exactly_one_of(*KEYS))

    reference: Reference = Field(
        description="Your system's own reference for it (a repair order number...): posting "
        "the same reference again records nothing new (idempotent)."
    )
    kind: OutcomeKind
    amount: float | None = Field(
        default=None, ge=0, le=1_000_000_000, description="What it is worth (to the cent)."
    )
    currency: Currency | None = Field(
        default=None,
        description="ISO 4217 (EUR, USD); default: the account's (USD for US accounts, else EUR).",
    )
    occurred_at: datetime | None = Field(
        default=None,
        description="When it happened (default: now; without a zone: UTC); never after now "
        "nor before 2000.",
    )
    contact_id: Id | None = Field(default=None, description="The contact, by id...")
    external_id: Reference | None = Field(
        default=None, description="...or by your own customer number (the contact's external_id)..."
    )
    phone: PhoneInput | None = Field(default=None, description="...or by phone number.")

    @model_validator(mode="after")
    def one_key(self) -> OutcomeIn:
        check_exactly_one(self, *KEYS)
        return self


class OutcomeBatch(Input):
    outcomes: list[OutcomeIn] = Field(min_length=1, max_length=MAX_BATCH)


class OutcomeOut(Output):
    id: int
    reference: str
    kind: OutcomeKind
    amount: float | None
    currency: str | None
    occurred_at: datetime
    contact_id: int | None = Field(description="The contact it was found to be, if any.")
    external_id: str | None
    phone: str | None = Field(description="The number, when it was posted by number.")
    attributed: bool
    touch: Touch | None = Field(description="What it is attributed to: a drop or a callback.")
    touched_at: datetime | None
    delivery_id: int | None = Field(description="The drop (or the drop the callback answered).")
    callback_id: int | None
    campaign_id: int | None
    journey_id: int | None = Field(description="The journey whose campaign it was, if any.")
    seller_id: int | None
    unattributed: Unattributed | None = Field(
        description="Why it is attributed to nothing: unknown_contact (no contact by that "
        "external id or number, and no drop to the number), no_message (no drop nor callback "
        "before it), outside_window (the last one was longer ago than attribution_days)."
    )
    attribution_days: int = Field(description="The window it was attributed under.")
    created_at: datetime


class OutcomePage(Output):
    items: list[OutcomeOut]
    next_cursor: str | None


class OutcomeQuery(PageQuery):
    campaign_id: Id | None = None
    seller_id: Id | None = None
    kind: OutcomeKind | None = None
    attributed: bool | None = Field(default=None, description="Only attributed (true) or not.")


class ItemError(Output):
    index: int = Field(description="The item's position in `outcomes`, from 1.")
    code: str = Field(
        description="not_found, invalid_phone, occurred_in_future, occurred_too_early, "
        "duplicate or reference_reused."
    )
    reason: str


class UnattributedCounts(Output):
    unknown_contact: int = 0
    no_message: int = 0
    outside_window: int = 0


class BatchReport(Output):
    recorded: int = Field(description="New outcomes recorded.")
    already_recorded: int = Field(description="References recorded before, with the same values.")
    rejected: int
    attributed: int = Field(description="Of those recorded now, attributed to a drop or callback.")
    unattributed: UnattributedCounts = Field(description="Of those recorded now, the others.")
    errors: list[ItemError]


class Money(Output):
    currency: str
    amount: float


class ResultsOut(Output):
    drops: int = Field(description="Messages left on voicemail, and people reached.")
    callbacks: int = Field(description="Customers calling back (opt-outs are not callbacks).")
    appointments: int = Field(description="Attributed appointments booked.")
    repair_orders: int
    vehicles_sold: int
    revenue: list[Money] = Field(description="The attributed outcomes' amounts, per currency.")
    calls: int = Field(description="Calls placed.")
    priced_calls: int = Field(description="Of which the carrier's price is known.")
    cost: list[Money] = Field(
        description="The carrier's prices of the calls priced so far, in PRICE_CURRENCY where "
        "PRICE_EXCHANGE_RATES converts them, else in the carrier's currency (never added)."
    )
    cost_per_appointment: list[Money] = Field(
        description="cost / appointments, per currency; empty without appointments."
    )


class CampaignReport(ResultsOut):
    campaign_id: int


class StepReport(ResultsOut):
    step_id: int
    name: str


class JourneyReport(ResultsOut):
    journey_id: int
    steps: list[StepReport]


class SellerReport(ResultsOut):
    seller_id: int
    name: str
    active: bool


class SellersReport(Output):
    items: list[SellerReport]


class OutcomesSummary(Output):
    attribution_days: int = Field(description="The account's window now.")
    total: int
    attributed: int
    to_drops: int
    to_callbacks: int
    unattributed: UnattributedCounts
    revenue_attributed: list[Money]
    revenue_unattributed: list[Money]
