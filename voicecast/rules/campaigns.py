"""The rules a campaign calls under: its account's preset and the schedule it makes with the
campaign's own window."""

from __future__ import annotations

from dataclasses import dataclass

from voicecast.extensions import db
from voicecast.models import Account
from voicecast.models.campaign import Campaign
from voicecast.rules.presets import NO_RULES_NOTE, Preset, account_rules
from voicecast.rules.schedule import Schedule


@dataclass(frozen=True)
class CampaignRules:
    preset: Preset | None
    schedule: Schedule
    account_zone: str

    @property
    def name(self) -> str:
        return self.preset.name if self.preset else "none"

    def describe(self) -> dict:
        """The rules as the API shows them: the preset, and the hours that result."""
        described = self.preset.describe() if self.preset else {"preset": None}
        described["effective"] = self.schedule.describe()
        if self.preset is None:
            described["note"] = NO_RULES_NOTE
        return described


def rules_of(campaign: Campaign) -> CampaignRules:
    account = db.session.get(Account, campaign.account_id)
    preset = account_rules(account.calling_rules, account.calling_rules_changes)
    return CampaignRules(preset, Schedule.of(campaign.calling_window, preset), account.timezone)
