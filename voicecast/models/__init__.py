"""Database models. Every row that users own carries the `account_id` of its tenant."""

# Last: a feature package's models, built on the ones above.
from voicecast.follow_through.models import CallBack, CallBackOutcome
from voicecast.journeys.models import Journey, JourneyEntry, JourneyRun, JourneyStep
from voicecast.models.account import Account
from voicecast.models.api_key import ApiKey
from voicecast.models.campaign import Campaign, CampaignStatus, IdempotentRequest
from voicecast.models.contact import Contact
from voicecast.models.contact_import import ContactImport, ImportStatus
from voicecast.models.delivery import Attempt, AttemptState, Delivery, DeliveryStatus
from voicecast.models.feed import Feed, FeedRun
from voicecast.models.inbound_call import CallbackOutcome, InboundCall
from voicecast.models.national_dnc import NationalDncNumber, NationalDncScrub
from voicecast.models.phone_number import PhoneNumber
from voicecast.models.recording import Purpose, Recording, RecordingLink, RecordingStatus
from voicecast.models.segment import Segment
from voicecast.models.suppression import Suppression
from voicecast.models.user import Role, User
from voicecast.models.webhook import OutboxEvent, OutboxStatus, WebhookEndpoint
from voicecast.outcomes.models import Outcome, OutcomeKind

__all__ = [
    "Account",
    "ApiKey",
    "Attempt",
    "AttemptState",
    "CallBack",
    "CallBackOutcome",
    "CallbackOutcome",
    "Campaign",
    "CampaignStatus",
    "Contact",
    "ContactImport",
    "Delivery",
    "DeliveryStatus",
    "Feed",
    "FeedRun",
    "IdempotentRequest",
    "ImportStatus",
    "InboundCall",
    "Journey",
    "JourneyEntry",
    "JourneyRun",
    "JourneyStep",
    "NationalDncNumber",
    "NationalDncScrub",
    "OutboxEvent",
    "OutboxStatus",
    "Outcome",
    "OutcomeKind",
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
