"""Why a delivery still waits, in words a manager reads: "outside calling hours until Mon 30
Nov 10:00 Europe/Paris", "attempt cap reached (4 in 30 days) until ...", "Florida: calls 8
am-8 pm until ..." (a state rule: its reason "state_hours:FL" or "state_cap:FL")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from voicecast.models import Delivery, DeliveryStatus
from voicecast.models.campaign import CampaignStatus
from voicecast.rules.campaigns import CampaignRules
from voicecast.rules.eligibility import (
    ATTEMPT_CAP,
    CONSENT_WITHDRAWN,
    CONSENT_WITHOUT_PROOF,
    CONTRACT_ENDED,
    NO_CONSENT,
    NO_LEGAL_BASIS,
    REFUSED,
    SUPPRESSED,
    Verdict,
)
from voicecast.rules.national_dnc import NATIONAL_DNC
from voicecast.rules.schedule import Schedule, zone_info
from voicecast.rules.us_state_words import reason_text
from voicecast.rules.us_states import CAP_REASON


@dataclass(frozen=True)
class Waiting:
    # outside_hours, public_holiday, attempt_cap, retry_delay, scheduled, campaign_paused, due,
    # a state rule's ("state_hours:FL", "state_cap:FL"), or the reason the rules will exclude
    # it for at the next round (see `held_back_text`)
    reason: str
    until: datetime | None
    text: str


def local_text(moment: datetime, zone: str) -> str:
    return f"{moment.astimezone(zone_info(zone)):%a %d %b %H:%M} {zone}"


# What the next round does with a due delivery the rules hold back for good.
EXCLUDED_TEXT = {
    SUPPRESSED: "on the do-not-call list",
    NATIONAL_DNC: "on the National Do Not Call registry (no written consent, no recent purchase)",
    NO_LEGAL_BASIS: "neither consent nor contract",
    NO_CONSENT: "no consent",
    CONSENT_WITHOUT_PROOF: "consent without written proof",
    CONSENT_WITHDRAWN: "consent withdrawn",
    CONTRACT_ENDED: "contract ended",
    REFUSED: "refused a call recently",
}


def why_waiting(
    delivery: Delivery,
    rules: CampaignRules,
    campaign_status: CampaignStatus,
    now: datetime,
    held: Verdict | None = None,
) -> Waiting | None:
    """Why a pending delivery has not been dialed yet (None when it is not pending); `held`:
    the rules' verdict on it now (`eligibility.verdicts`), for a due one the next round would
    not dial. A contact with a second zone waits until the window is open in both."""
    if delivery.status != DeliveryStatus.PENDING:
        return None
    zone = delivery.timezone or rules.account_zone
    zones = (zone, delivery.alt_timezone)
    schedule = rules.schedule.for_regions(delivery.regions)
    due = delivery.next_attempt_at
    if campaign_status == CampaignStatus.PAUSED:
        return Waiting("campaign_paused", None, "the campaign is paused")
    if due is not None and due > now:
        at = schedule.next_opening_in(zones, due)
        if is_cap(delivery.reason) and rules.preset is not None:
            return capped(rules, delivery.reason, zones, at)
        if not delivery.attempt_count:
            return Waiting("scheduled", at, f"first call {when(at, zone)}")
        what = delivery.reason or "retry"
        return Waiting("retry_delay", at, f"{what}: next call {when(at, zone)}")
    closed = schedule.closed_in(zones, now)
    if held is not None:
        return held_back_text(held, rules, schedule, zones)
    if closed is None:
        return Waiting("due", None, "due: in line for the next dial")
    at = schedule.next_opening_in(zones, now)
    closed_zone, why = closed
    if why == "hours":
        text = f"outside calling hours{both_zones(zones, closed_zone)} until {when(at, zone)}"
        return Waiting("outside_hours", at, text)
    if (rule := reason_text(why)) is not None:
        return Waiting(why, at, f"{rule}{both_zones(zones, closed_zone)} until {when(at, zone)}")
    text = f"public holiday ({why}){both_zones(zones, closed_zone)} until {when(at, zone)}"
    return Waiting("public_holiday", at, text)


def both_zones(zones: tuple[str, str | None], closed_zone: str) -> str:
    """For a contact with two zones, which one is closed: " in America/Chicago (its number's
    zone; its postal code's is America/New_York: called only when both are open)"."""
    zone, alt = zones
    if not alt:
        return ""
    if closed_zone == alt:
        whose, other, others = "its number's", zone, "its postal code's"
    else:
        whose, other, others = "its postal code's", alt, "its number's"
    return f" in {closed_zone} ({whose} zone; {others} is {other}: called only when both are open)"


def is_cap(reason: str | None) -> bool:
    """`reason` is an attempt cap's: the preset's or a state's."""
    return reason == ATTEMPT_CAP or (reason is not None and reason.startswith(CAP_REASON))


def capped(
    rules: CampaignRules, reason: str, zones: tuple[str, str | None], at: datetime | None
) -> Waiting:
    if (rule := reason_text(reason)) is not None:
        return Waiting(reason, at, f"{rule} reached, until {when(at, zones[0])}")
    cap = f"{rules.preset.attempt_cap} in {rules.preset.attempt_cap_days} days"
    return Waiting(ATTEMPT_CAP, at, f"attempt cap reached ({cap}) until {when(at, zones[0])}")


def held_back_text(
    held: Verdict, rules: CampaignRules, schedule: Schedule, zones: tuple[str, str | None]
) -> Waiting:
    """A due delivery the rules hold back: capped until a call leaves the period (then the
    next opening in its zones), or excluded at the next round."""
    if held.until is not None and rules.preset is not None:
        return capped(rules, held.reason, zones, schedule.next_opening_in(zones, held.until))
    words = EXCLUDED_TEXT.get(held.reason, held.reason)
    return Waiting(held.reason, None, f"{words}: left out at the next round")


def when(moment: datetime | None, zone: str) -> str:
    return local_text(moment, zone) if moment else "never: the calling window never opens"
