"""Database models. Every row that users own carries the `account_id` of its tenant."""

# Last: a feature package's models, built on the ones above.
from voicecast.journeys.models import Journey, JourneyEntry, JourneyRun, JourneyStep
from voicecast.models.account import Account
from voicecast.models.api_key import ApiKey
from voicecast.models.campaign import Campaign, CampaignStatus, IdempotentRequest
from voicecast.models.contact import Contact
from voicecast.models.contact_import import ContactImport, ImportStatus
from voicecast.models.delivery import Attempt, AttemptState, Delivery, DeliveryStatus
from voicecast.models.inbound_call import CallbackOutcome, InboundCall
from voicecast.models.phone_number import PhoneNumber
from voicecast.models.recording import Purpose, Recording, RecordingLink, RecordingStatus
from voicecast.models.segment import Segment
from voicecast.models.suppression import Suppression
from voicecast.models.user import Role, User
from voicecast.models.webhook import OutboxEvent, OutboxStatus, WebhookEndpoint

__all__ = [
    "Account",
    "ApiKey",
    "Attempt",
    "AttemptState",
    "CallbackOutcome",
    "Campaign",
    "CampaignStatus",
    "Contact",
    "ContactImport",
    "Delivery",
    "DeliveryStatus",
    "IdempotentRequest",
    "ImportStatus",
    "InboundCall",
    "Journey",
    "JourneyEntry",
    "JourneyRun",
    "JourneyStep",
    "OutboxEvent",
    "OutboxStatus",
    "PhoneNumber",
    "Purpose",
    "Recording",
    "RecordingLink",
    "RecordingStatus",
    "Role",
    "Segment",
    "Suppression",
    "User",
    "WebhookEndpoint",
]
