"""What a journey is made of, as clients send and receive it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from voicecast.api.campaign_schemas import CampaignFields
from voicecast.api.schemas import Id, Input, Name, Output, PageQuery, not_null
from voicecast.journeys.models import JourneyStatus, MissedPolicy, OffsetUnit, RecordingPolicy
from voicecast.journeys.recordings import RECORDING_WAIT_DAYS

# Attribute names as imports write them (lower case, digits, underscores).
AttributeName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,100}$")]
Purpose = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,50}$")]
# Something to read besides spaces (as names), kept as written otherwise: line breaks help.
Script = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=r"\S")
]
# Ten years either way, in any unit.
OFFSET_BOUNDS = {"days": 3660, "months": 120, "years": 10}
MAX_STEPS = 20


class Offset(Input):
    """How long after (positive) or before (negative) the date the moment is."""

    amount: int = Field(ge=-3660, le=3660, description="Days: within 3660; months: 120; years: 10.")
    unit: OffsetUnit

    @model_validator(mode="after")
    def within_ten_years(self) -> Offset:
        if abs(self.amount) > OFFSET_BOUNDS[self.unit.value]:
            bound = OFFSET_BOUNDS[self.unit.value]
            raise PydanticCustomError("offset", f"at most {bound} {self.unit.value} either way")
        return self


class StepFields(Input):
    name: Name
    attribute: AttributeName = Field(
        description="The contact attribute holding the date (ISO, as imports store dates), "
        "e.g. date_livraison."
    )
    offset: Offset = Field(description="date_livraison + 3 days: {amount: 3, unit: days}.")
    yearly: bool = Field(
        default=False,
        description="Every year on the date's anniversary plus the offset (a birthday); "
        "otherwise once.",
    )
    segment_id: Id | None = Field(
        default=None, description="Only the contacts of this segment (as of the day) enter."
    )
    purpose: Purpose = Field(
        default="voicemail", description="The message's purpose, e.g. delivery_thanks."
    )
    script: Script | None = Field(
        default=None,
        description="What the seller reads as a prompt on their recording page when "
        "recording the step's message.",
    )
    recording_policy: RecordingPolicy = Field(
        default=RecordingPolicy.FALLBACK,
        description="A contact whose seller has not recorded the step's message: fallback "
        "plays the seller's general message; wait holds the contact until the seller records "
        f"it, {RECORDING_WAIT_DAYS} days at most (then the contact is not called for the step).",
    )
    campaign: CampaignFields = Field(
        default_factory=CampaignFields,
        description="The settings of the campaign made each day for the step's entrants.",
    )


class StepUpdate(Input):
    name: Name = not_null()
    attribute: AttributeName = not_null()
    offset: Offset = not_null()
    yearly: bool = not_null()
    segment_id: Id | None = None
    purpose: Purpose = not_null()
    script: Script | None = None
    recording_policy: RecordingPolicy = not_null()
    campaign: CampaignFields = not_null()


class JourneyCreate(Input):
    name: Name
    missed_policy: MissedPolicy = Field(
        default=MissedPolicy.SKIP,
        description="Moments that fell while the journey was paused: skip them, or catch up "
        "those of the last catch_up_days days on the resume day.",
    )
    catch_up_days: int = Field(default=7, ge=0, le=30)
    steps: list[StepFields] = Field(min_length=1, max_length=MAX_STEPS)


class JourneyUpdate(Input):
    name: Name = not_null()
    missed_policy: MissedPolicy = not_null()
    catch_up_days: int = not_null(ge=0, le=30)


class OffsetOut(Output):
    amount: int
    unit: OffsetUnit


class StepOut(Output):
    id: int
    position: int
    name: str
    attribute: str
    offset: OffsetOut
    yearly: bool
    segment_id: int | None
    purpose: str
    script: str | None
    recording_policy: RecordingPolicy
    campaign: dict
    effective_from: datetime = Field(description="When its trigger last changed.")
    entered: int = Field(description="Contacts who entered the step so far.")


class JourneyOut(Output):
    id: int
    name: str
    status: JourneyStatus
    missed_policy: MissedPolicy
    catch_up_days: int
    paused_at: datetime | None
    evaluated_at: datetime
    created_at: datetime
    updated_at: datetime
    steps: list[StepOut]


class JourneyPage(Output):
    items: list[JourneyOut]
    next_cursor: str | None


class RunOut(Output):
    id: int
    step_id: int
    day: date = Field(description="The local day of the zone the contacts entered on.")
    zone: str
    entered: int
    campaign_id: int | None = Field(description="The campaign calling them (its own counts).")
    created_at: datetime


class RunPage(Output):
    items: list[RunOut]
    next_cursor: str | None


class RunQuery(PageQuery):
    step_id: Id | None = None


class MissingSellerOut(Output):
    seller_id: int
    name: str
    waiting: int = Field(
        description="The step's contacts of this seller held until they record it (policy "
        "wait); 0 under fallback, where they hear the seller's general message."
    )
    wait_until: datetime | None = Field(
        description="When the first of them is given up (not called for the step) if the "
        "seller has still not recorded it."
    )
    gave_up: int = Field(
        description="The step's contacts of this seller never called for it: no recording "
        "came within wait_days, or the journey ended first."
    )


class StepRecordingsOut(Output):
    step_id: int
    name: str
    purpose: str
    script: str | None
    recording_policy: RecordingPolicy
    recorded: int = Field(description="Active sellers who have recorded the step's message.")
    missing: list[MissingSellerOut] = Field(
        description="Active sellers who have not recorded it yet."
    )


class JourneyRecordingsOut(Output):
    journey_id: int
    wait_days: int = Field(description="How long a held contact waits for the recording.")
    steps: list[StepRecordingsOut] = Field(
        description="The steps whose campaigns play each seller's own message (a step playing "
        "one chosen recording asks no seller to record)."
    )
