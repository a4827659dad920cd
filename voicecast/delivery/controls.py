"""Pausing, resuming and canceling a campaign: the same rules for the API and the dashboard."""

from __future__ import annotations

from sqlalchemy import update

from voicecast.delivery.dispatch import wake_dispatcher
from voicecast.extensions import db
from voicecast.models import Delivery, DeliveryStatus
from voicecast.models.base import utcnow
from voicecast.models.campaign import Campaign, CampaignStatus
from voicecast.outbound import events

# The reason of the deliveries a campaign's cancellation ends (stored and exported as written).
CANCELED_BY_CAMPAIGN = "campaign canceled"


class NotNow(ValueError):
    """The campaign's status does not allow this; the message says which would."""


def require_status(campaign: Campaign, *allowed: CampaignStatus) -> None:
    if campaign.status not in allowed:
        names = " or ".join(status.value for status in allowed)
        raise NotNow(f"The campaign is {campaign.status.value}; this needs {names}.")


def switch(campaign: Campaign, to: CampaignStatus) -> None:
    """Pause or resume: between running and paused only; asking again changes nothing."""
    require_status(campaign, CampaignStatus.RUNNING, CampaignStatus.PAUSED)
    campaign.status = to
    db.session.commit()


def pause(campaign: Campaign) -> None:
    """No new call starts; calls already ringing finish."""
    switch(campaign, CampaignStatus.PAUSED)


def resume(campaign: Campaign) -> None:
    """Dialing starts again where it stopped."""
    switch(campaign, CampaignStatus.RUNNING)
    wake_dispatcher(campaign.id)  # committed: the periodic pass gives it a round otherwise


def cancel(campaign: Campaign) -> None:
    """Every waiting delivery is canceled; calls already ringing finish and are recorded."""
    require_status(
        campaign,
        CampaignStatus.PLANNING,
        CampaignStatus.RUNNING,
        CampaignStatus.PAUSED,
        CampaignStatus.CANCELED,
    )
    newly = campaign.status != CampaignStatus.CANCELED
    campaign.status = CampaignStatus.CANCELED
    campaign.finished_at = campaign.finished_at or utcnow()
    db.session.execute(
        update(Delivery)
        .where(Delivery.campaign_id == campaign.id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELED, reason=CANCELED_BY_CAMPAIGN)
    )
    if newly:
        events.campaign_finished(campaign)
    db.session.commit()
