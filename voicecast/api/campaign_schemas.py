"""What a campaign is made of, as clients send and receive it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from voicecast.api.schemas import Id, Input, Name, Output, PageQuery, not_null
from voicecast.models.campaign import (
    CallerIdPolicy,
    CampaignStatus,
    HumanPolicy,
    MessagePolicy,
    UnknownPolicy,
)

HourMinute = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
DEFAULT_RETRY_DELAYS = [4 * 3600, 24 * 3600]


class AllContacts(Input):
    kind: Literal["all"]


class ChosenContacts(Input):
    kind: Literal["contacts"]
    contact_ids: list[Id] = Field(min_length=1, max_length=100_000)


class SegmentContacts(Input):
    kind: Literal["segment"]
    segment_id: Id = Field(description="The segment's contacts as of the launch's planning.")


Audience = Annotated[AllContacts | ChosenContacts | SegmentContacts, Field(discriminator="kind")]


class CallingWindow(Input):
    """When calls may be placed, in each contact's own time zone."""

    days: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4],
        min_length=1,
        max_length=7,
        description="Days of the week, Monday = 0.",
    )
    start: HourMinute = Field(default="10:00", description="HH:MM local time.")
    end: HourMinute = Field(default="20:00", description="HH:MM local time, after start.")

    @model_validator(mode="after")
    def start_before_end(self) -> CallingWindow:
        if self.start >= self.end:
            raise PydanticCustomError("window", "start must be before end")
        return self


class CampaignFields(Input):
    """Settings shared by create and update."""

    message_policy: MessagePolicy = Field(
        default=MessagePolicy.PER_SELLER,
        description="recording: everyone hears recording_id; per_seller: each contact hears "
        "their assigned seller's active recording.",
    )
    recording_id: Id | None = None
    caller_id_policy: CallerIdPolicy = CallerIdPolicy.SELLER
    human_policy: HumanPolicy = HumanPolicy.PLAY
    unknown_policy: UnknownPolicy = UnknownPolicy.PLAY
    max_attempts: int = Field(default=3, ge=1, le=10, description="1 means no retry.")
    retry_delays_seconds: list[Annotated[int, Field(ge=60, le=30 * 86400)]] = Field(
        default_factory=lambda: list(DEFAULT_RETRY_DELAYS),
        max_length=9,
        description="Wait before the 2nd, 3rd... attempt; the last value repeats.",
    )
    calling_window: CallingWindow = Field(default_factory=CallingWindow)
    calls_per_second: float = Field(default=1.0, gt=0, le=100)
    max_in_flight: int = Field(default=10, ge=1, le=1000)


class CampaignCreate(CampaignFields):
    name: Name
    audience: Audience


class CampaignUpdate(Input):
    name: Name = not_null()
    audience: Audience = not_null()
    message_policy: MessagePolicy = not_null()
    recording_id: Id | None = None
    caller_id_policy: CallerIdPolicy = not_null()
    human_policy: HumanPolicy = not_null()
    unknown_policy: UnknownPolicy = not_null()
    max_attempts: int = not_null(ge=1, le=10)
    retry_delays_seconds: list[Annotated[int, Field(ge=60, le=30 * 86400)]] = not_null(max_length=9)
    calling_window: CallingWindow = not_null()
    calls_per_second: float = not_null(gt=0, le=100)
    max_in_flight: int = not_null(ge=1, le=1000)


class CampaignOut(Output):
    id: int
    name: str
    status: CampaignStatus
    audience: dict
    message_policy: MessagePolicy
    recording_id: int | None
    caller_id_policy: CallerIdPolicy
    human_policy: HumanPolicy
    unknown_policy: UnknownPolicy
    max_attempts: int
    retry_delays_seconds: list[int]
    calling_window: dict
    calls_per_second: float
    max_in_flight: int
    created_at: datetime
    updated_at: datetime
    launched_at: datetime | None
    finished_at: datetime | None


class CampaignPage(Output):
    items: list[CampaignOut]
    next_cursor: str | None


class CampaignQuery(PageQuery):
    status: CampaignStatus | None = None
