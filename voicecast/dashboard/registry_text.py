"""The National Do Not Call scrub's warnings on a campaign's page, in the page's words: an
area code of the campaign's contacts without a scrub, or with one older than 31 days."""

from __future__ import annotations

from voicecast.delivery.planning import audience_contacts
from voicecast.extensions import db
from voicecast.i18n import DATE_FORMATS, format_locale
from voicecast.i18n import gettext as _
from voicecast.models import Account, Contact
from voicecast.models.campaign import Campaign, CampaignStatus
from voicecast.rules.national_dnc import (
    SCRUB_VALID_DAYS,
    ScrubWarning,
    account_today,
    scrub_warnings,
)


def campaign_scrub_warnings(campaign: Campaign) -> list[ScrubWarning]:
    """The registry's warnings for the contacts of `campaign`'s audience (US accounts), while
    it has calls to place: none once it is over."""
    if campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELED):
        return []
    account = db.session.get(Account, campaign.account_id)
    contacts = audience_contacts(campaign).with_only_columns(Contact.id)
    return scrub_warnings(account, contacts, account_today(account))


def scrub_warning_text(warning: ScrubWarning) -> str:
    """One warning in the page's words."""
    if warning.downloaded_on is None:
        return _(
            "Indicatif {area_code}, {contacts} des contacts de la campagne : aucun extrait du "
            "registre national Do Not Call n'est chargé ; ses numéros inscrits seraient appelés."
        ).format(area_code=warning.area_code, contacts=warning.contacts)
    day = warning.downloaded_on.strftime(DATE_FORMATS[format_locale()]["date"])
    return _(
        "Indicatif {area_code}, {contacts} des contacts de la campagne : l'extrait du "
        "registre national Do Not Call date du {day}, il y a plus de {days} jours ; "
        "téléchargez-en un nouveau."
    ).format(area_code=warning.area_code, contacts=warning.contacts, day=day, days=SCRUB_VALID_DAYS)
