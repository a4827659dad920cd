"""Recordings: sellers' messages, uploaded once, processed by a worker into telephone audio."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field
from sqlalchemy import Select, select

from voicecast.api import bp
from voicecast.api.auth import Principal, current_principal
from voicecast.api.queries import keyset_page, one_or_404
from voicecast.api.schemas import Id, Output, PageQuery, QueryInput
from voicecast.api.sellers import get_visible_seller
from voicecast.api.spec import operation
from voicecast.delivery.planning import campaigns_still_playing
from voicecast.errors import ApiError, invalid_field
from voicecast.extensions import db
from voicecast.journeys.asked import asked_step
from voicecast.media.signing import media_url
from voicecast.media.uploads import accept_upload, activate, remove_recording
from voicecast.models import Purpose, Recording, RecordingStatus, User

TAG = "Recordings"


class RecordingForm(QueryInput):
    purpose: Purpose = Field(
        default=Purpose.VOICEMAIL,
        description="voicemail: left after the beep; live: played when a person answers; "
        "journey_step: a journey step's own message (with step_id).",
    )
    seller_id: Id | None = Field(
        default=None, description="Whose message it is; required with a manager's key."
    )
    step_id: Id | None = Field(
        default=None,
        description="The journey step whose message it is (purpose journey_step): a step of an "
        "active journey whose campaigns play each seller's own message.",
    )


class Rejection(Output):
    code: str = Field(description="not_audio, too_large, silent, too_short, too_long, clipped.")
    message: str
    details: dict[str, Any]


class RecordingOut(Output):
    id: int
    seller_id: int
    purpose: Purpose
    step_id: int | None = Field(description="The journey step (purpose journey_step).")
    version: int
    status: RecordingStatus = Field(description="uploaded, processing, ready or rejected.")
    active: bool = Field(description="The version campaigns play for this seller and purpose.")
    rejection: Rejection | None
    duration_seconds: float | None
    speech_seconds: float | None
    loudness_lufs: float | None
    true_peak_dbtp: float | None
    carrier_url: str | None = Field(description="8 kHz mu-law WAV; public, signed URL.")
    preview_url: str | None = Field(description="MP3 to listen to; public, signed URL.")
    original_filename: str | None
    original_bytes: int
    created_at: datetime
    processed_at: datetime | None


class RecordingPage(Output):
    items: list[RecordingOut]
    next_cursor: str | None


class RecordingQuery(PageQuery):
    seller_id: Id | None = None
    purpose: Purpose | None = None
    step_id: Id | None = None
    status: RecordingStatus | None = None
    active: bool | None = None


def recording_out(recording: Recording) -> RecordingOut:
    rejection = None
    if recording.status == RecordingStatus.REJECTED:
        rejection = Rejection(
            code=recording.rejection_code or "",
            message=recording.rejection_message or "",
            details=recording.rejection_details or {},
        )
    return RecordingOut.model_validate(
        {
            **{
                name: getattr(recording, name)
                for name in RecordingOut.model_fields
                if hasattr(recording, name)
            },
            "rejection": rejection,
            "carrier_url": media_url(recording, "carrier"),
            "preview_url": media_url(recording, "preview"),
        }
    )


def visible_recordings(principal: Principal) -> Select[tuple[Recording]]:
    stmt = select(Recording).where(Recording.account_id == principal.account_id)
    if not principal.is_manager:
        stmt = stmt.where(Recording.seller_id == principal.user.id)
    return stmt


def get_visible_recording(recording_id: int) -> Recording:
    stmt = visible_recordings(current_principal()).where(Recording.id == recording_id)
    return one_or_404(stmt, "recording")


def upload_seller(seller_id: int | None, principal: Principal) -> User:
    if seller_id is None:
        if principal.is_manager:
            raise invalid_field("body.seller_id", "Say whose message it is: seller_id.", "seller")
        return principal.user
    try:
        return get_visible_seller(seller_id)
    except ApiError:
        message = f"No seller with id {seller_id} in your account."
        raise invalid_field("body.seller_id", message, "seller") from None


def upload_step(form: RecordingForm, seller: User) -> int | None:
    """The journey step a journey_step upload is for (None for the other purposes)."""
    if (form.purpose == Purpose.JOURNEY_STEP) != (form.step_id is not None):
        message = "step_id goes with purpose journey_step, which needs one."
        raise invalid_field("body.step_id", message, "step")
    if form.step_id is not None and asked_step(seller, form.step_id) is None:
        message = f"Journey step {form.step_id} asks this seller for no message of their own."
        raise invalid_field("body.step_id", message, "step")
    return form.step_id


@operation(
    bp,
    "/recordings",
    "POST",
    summary="Upload a recording",
    tag=TAG,
    form=RecordingForm,
    response=RecordingOut,
    status=202,
    errors=(404,),
)
def upload_recording(form: RecordingForm, upload):
    """Store the file and queue its processing; poll the recording until `ready` or `rejected`.
    A seller uploads for themselves; a manager for any seller of the account."""
    seller = upload_seller(form.seller_id, current_principal())
    step_id = upload_step(form, seller)
    return recording_out(accept_upload(seller, form.purpose, upload, step_id=step_id))


@operation(
    bp,
    "/recordings",
    "GET",
    summary="List recordings",
    tag=TAG,
    query=RecordingQuery,
    response=RecordingPage,
)
def list_recordings(query: RecordingQuery):
    """Every version, newest last; filter by seller, purpose, status or active."""
    stmt = visible_recordings(current_principal())
    for name in ("seller_id", "purpose", "step_id", "status", "active"):
        value = getattr(query, name)
        if value is not None:
            stmt = stmt.where(getattr(Recording, name) == value)
    rows, cursor = keyset_page(stmt, Recording.id, query)
    return RecordingPage(items=[recording_out(r) for r in rows], next_cursor=cursor)


@operation(
    bp,
    "/recordings/<int:recording_id>",
    "GET",
    summary="Get a recording",
    tag=TAG,
    response=RecordingOut,
    errors=(404,),
)
def get_recording(recording_id: int):
    """Status, the reason when rejected, and measurements and URLs when ready."""
    return recording_out(get_visible_recording(recording_id))


@operation(
    bp,
    "/recordings/<int:recording_id>/activate",
    "POST",
    tag=TAG,
    summary="Make a version the active one",
    response=RecordingOut,
    errors=(404, 409),
)
def activate_recording(recording_id: int):
    """Campaigns play this ready version from now on (e.g. go back to an earlier one)."""
    recording = get_visible_recording(recording_id)
    activate(recording)
    db.session.commit()
    return recording_out(recording)


@operation(
    bp,
    "/recordings/<int:recording_id>",
    "DELETE",
    summary="Delete a recording",
    tag=TAG,
    status=204,
    errors=(404, 409),
)
def delete_recording(recording_id: int):
    """Remove the version and its files; if it was active, the seller has none for that purpose
    until another is activated or recorded. Refused (409) while a campaign still has calls to
    place with it."""
    recording = get_visible_recording(recording_id)
    playing = campaigns_still_playing(recording.id, recording.account_id)
    if playing:
        names = ", ".join(str(campaign_id) for campaign_id in playing)
        raise ApiError(
            409,
            f"Campaigns {names} still have calls to place with this recording: cancel them or "
            "let them finish before deleting it.",
            code="recording_in_use",
            details={"campaign_ids": playing},
        )
    remove_recording(recording)
