"""Campaigns: drafts a manager prepares over a set of contacts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from voicecast.api import bp
from voicecast.api.auth import Principal, current_principal
from voicecast.api.campaign_schemas import (
    CampaignCreate,
    CampaignOut,
    CampaignPage,
    CampaignQuery,
    CampaignUpdate,
)
from voicecast.api.idempotency import once
from voicecast.api.queries import keyset_page, one_or_404
from voicecast.api.spec import operation
from voicecast.api.validation import reject_nulls
from voicecast.errors import ApiError, invalid_field
from voicecast.extensions import db
from voicecast.models import Contact, Recording, RecordingStatus, Segment
from voicecast.models.campaign import Campaign, CampaignStatus, MessagePolicy

TAG = "Campaigns"
MAX_UNKNOWN_SHOWN = 10


def visible_campaigns(principal: Principal) -> Select[tuple[Campaign]]:
    principal.require_manager()
    return select(Campaign).where(Campaign.account_id == principal.account_id)


def get_campaign(campaign_id: int) -> Campaign:
    stmt = visible_campaigns(current_principal()).where(Campaign.id == campaign_id)
    return one_or_404(stmt, "campaign")


def check_contacts(audience: dict[str, Any], account_id: int) -> None:
    if audience["kind"] == "segment":
        segment = db.session.get(Segment, audience["segment_id"])
        if segment is None or segment.account_id != account_id:
            message = f"No segment {audience['segment_id']} in your account."
            raise invalid_field("body.audience.segment_id", message, "segment")
        return
    if audience["kind"] != "contacts":
        return
    wanted = set(audience["contact_ids"])
    found = set(
        db.session.scalars(
            select(Contact.id).where(Contact.account_id == account_id, Contact.id.in_(wanted))
        )
    )
    unknown = sorted(wanted - found)
    if unknown:
        shown = ", ".join(map(str, unknown[:MAX_UNKNOWN_SHOWN]))
        more = (
            f" and {len(unknown) - MAX_UNKNOWN_SHOWN} more"
            if len(unknown) > MAX_UNKNOWN_SHOWN
            else ""
        )
        raise invalid_field(
            "body.audience.contact_ids", f"No contacts {shown}{more} in your account.", "contact"
        )


def check_message(campaign: Campaign) -> None:
    if campaign.message_policy == MessagePolicy.PER_SELLER:
        if campaign.recording_id is not None:
            message = "recording_id goes with message_policy 'recording' only."
            raise invalid_field("body.recording_id", message, "recording")
        return
    recording = db.session.get(Recording, campaign.recording_id) if campaign.recording_id else None
    if recording is None or recording.account_id != campaign.account_id:
        message = "message_policy 'recording' needs the id of a recording of your account."
        raise invalid_field("body.recording_id", message, "recording")
    if recording.status != RecordingStatus.READY:
        message = f"Recording {recording.id} is {recording.status.value}, not ready."
        raise invalid_field("body.recording_id", message, "recording")


def apply_fields(campaign: Campaign, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(campaign, name, value)
    check_contacts(campaign.audience, campaign.account_id)
    check_message(campaign)


@operation(
    bp,
    "/campaigns",
    "POST",
    summary="Create a campaign (draft)",
    tag=TAG,
    body=CampaignCreate,
    response=CampaignOut,
    status=201,
    errors=(403,),
)
def create_campaign(body: CampaignCreate):
    """A draft over an audience; nothing is dialed until it is launched. Send an
    `Idempotency-Key` header to make retries safe: the same key answers the same campaign."""
    principal = current_principal()
    principal.require_manager()

    def act() -> CampaignOut:
        campaign = Campaign(account_id=principal.account_id, status=CampaignStatus.DRAFT)
        apply_fields(campaign, body.model_dump(mode="json"))
        db.session.add(campaign)
        db.session.flush()
        return CampaignOut.model_validate(campaign)

    return once("create_campaign", 201, act)


@operation(
    bp,
    "/campaigns",
    "GET",
    summary="List campaigns",
    tag=TAG,
    query=CampaignQuery,
    response=CampaignPage,
    errors=(403,),
)
def list_campaigns(query: CampaignQuery):
    """The account's campaigns, oldest first; filter by status."""
    stmt = visible_campaigns(current_principal())
    if query.status is not None:
        stmt = stmt.where(Campaign.status == query.status)
    rows, cursor = keyset_page(stmt, Campaign.id, query)
    return CampaignPage(items=[CampaignOut.model_validate(r) for r in rows], next_cursor=cursor)


def require_draft(campaign: Campaign) -> None:
    if campaign.status != CampaignStatus.DRAFT:
        raise ApiError(409, f"The campaign is {campaign.status.value}; only drafts change.")


@operation(
    bp,
    "/campaigns/<int:campaign_id>",
    "PATCH",
    summary="Update a draft campaign",
    tag=TAG,
    body=CampaignUpdate,
    response=CampaignOut,
    errors=(403, 404, 409),
)
def update_campaign(campaign_id: int, body: CampaignUpdate):
    """Change the fields sent, while the campaign is a draft."""
    campaign = get_campaign(campaign_id)
    require_draft(campaign)
    fields = body.model_dump(mode="json", include=body.model_fields_set, warnings=False)
    reject_nulls(fields, tuple(name for name in fields if name != "recording_id"))
    apply_fields(campaign, fields)
    db.session.commit()
    return CampaignOut.model_validate(campaign)


@operation(
    bp,
    "/campaigns/<int:campaign_id>",
    "DELETE",
    summary="Delete a draft campaign",
    tag=TAG,
    status=204,
    errors=(403, 404, 409),
)
def delete_campaign(campaign_id: int):
    """Only drafts can be deleted; a launched campaign's records are kept."""
    campaign = get_campaign(campaign_id)
    require_draft(campaign)
    db.session.delete(campaign)
    db.session.commit()
