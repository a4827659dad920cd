"""Who may be called now under a preset, written once as SQL conditions: the do-not-call
list, the legal basis, the silence after a refusal and the rolling attempt cap, in that order
(`held_back`: each condition with the reason it gives). Every path reads these same
conditions: planning (the permanent ones, `excluded_because`), a dispatcher round and the dial
job's look after a failed claim (`verdicts`), the preview (planning's query, grouped) and the
dial claim (`delivery/claim.py`, compiled from them once per preset and database). The
calling window is `schedule.Schedule`'s, and the campaign must be running (`campaign_runs`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    not_,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.orm import aliased

from voicecast.extensions import db
from voicecast.models import Attempt, Contact, Delivery, Suppression
from voicecast.models.campaign import Campaign, CampaignStatus
from voicecast.rules import national_dnc
from voicecast.rules.presets import WRITTEN_CONSENT, Preset
from voicecast.rules.us_states import CAP_HOURS, CAP_REASON, StateRule

# Why a delivery is not dialed (its `reason`): excluded for good, or waiting (`ATTEMPT_CAP`).
# Without a legal basis, the reason names what is missing (`missing_basis`): under a
# consent-or-contract preset neither is on record (NO_LEGAL_BASIS), or the contract ended;
# under a written-consent preset no consent, or one without its written proof; under either,
# the consent was withdrawn.
NO_LEGAL_BASIS = "no_legal_basis"
NO_CONSENT = "no_consent"
CONSENT_WITHOUT_PROOF = "consent_without_proof"
CONSENT_WITHDRAWN = "consent_withdrawn"
CONTRACT_ENDED = "contract_ended"
LEGAL_BASIS_REASONS = (
    NO_LEGAL_BASIS, NO_CONSENT, CONSENT_WITHOUT_PROOF, CONSENT_WITHDRAWN, CONTRACT_ENDED
)  # fmt: skip
REFUSED = "refused_recently"
SUPPRESSED = "suppressed"
ATTEMPT_CAP = "attempt_cap"
# An attempt's outcome when it never reached the carrier (it called nobody, so the cap skips
# it), and the reason of a delivery whose attempts never did (`calls.settle_never_placed`).
NEVER_PLACED = "never_placed"
# A rule's reason: a code, or an SQL expression choosing one (`missing_basis`).
Reason = str | ColumnElement[str]
# The one campaign status under which calls are placed.
CALLING = CampaignStatus.RUNNING


def campaign_runs(campaign_id: Any) -> ColumnElement[bool]:
    """The campaign `campaign_id` (a column or a value) is running: calls may be placed."""
    running = select(Campaign.id).where(Campaign.id == campaign_id, Campaign.status == CALLING)
    return running.exists()


def reached_carrier(attempt: Any = Attempt) -> ColumnElement[bool]:
    """The attempt was dialed and may have reached the carrier: what counts as a call (the
    attempt cap, the calls placed on a campaign's page), unlike one recorded but not dialed
    yet or settled never placed."""
    return and_(attempt.dialed_at.is_not(None), func.coalesce(attempt.outcome, "") != NEVER_PLACED)


@dataclass(frozen=True)
class Moment:
    """What the rules read of the moment they are applied at, derived once from `now` by
    `moment_values`: plain values for a query run now, or SQL placeholders for a statement
    compiled once and bound at each run (the dial claim)."""

    today: Any
    refused_since: Any
    cap_since: Any
    cap: Any
    relationship_since: Any
    state_cap_since: Any  # the start of the state caps' rolling period (us_states.CAP_HOURS)


def moment_values(preset: Preset | None, now: datetime) -> dict[str, Any]:
    """`Moment`'s fields at `now` under `preset`: today's date (for contracts), the start of
    the silence after a refusal and of the attempt cap's rolling period, the cap, and the
    first day of a business relationship the registry's rule accepts, and the start of the
    state caps' period."""
    silence = (preset.silence_after_refusal_days if preset else None) or 0
    cap_days = preset.attempt_cap_days if preset else 0
    return {
        "today": now.date(),
        "refused_since": now - timedelta(days=silence),
        "cap_since": now - timedelta(days=cap_days),
        "cap": (preset.attempt_cap if preset else None) or 0,
        "relationship_since": national_dnc.relationship_since(now.date()),
        "state_cap_since": now - timedelta(hours=CAP_HOURS),
    }


def moment(preset: Preset | None, now: datetime) -> Moment:
    return Moment(**moment_values(preset, now))


def consent_holds(contact: Any) -> ColumnElement[bool]:
    """Consent given and not withdrawn (`contact`: the Contact model or a subquery's `c`)."""
    return and_(contact.consent_at.is_not(None), contact.consent_withdrawn_at.is_(None))


def written_consent_holds(contact: Any) -> ColumnElement[bool]:
    """Consent in force with its written proof on record."""
    return and_(consent_holds(contact), func.coalesce(contact.consent_proof, "") != "")


def contract_holds(contact: Any, today: date | Any) -> ColumnElement[bool]:
    """A contract on record that has not ended before `today`."""
    return and_(
        contact.contract_kind.is_not(None),
        or_(contact.contract_ends_on.is_(None), contact.contract_ends_on >= today),
    )


def legal_basis_holds(contact: Any, preset: Preset, today: date | Any) -> ColumnElement[bool]:
    """The contact is on record (not deleted) and the preset's legal basis for calling holds
    for it today."""
    if preset.legal_basis is None:
        basis: ColumnElement[bool] = true()
    elif preset.legal_basis == WRITTEN_CONSENT:
        basis = written_consent_holds(contact)
    else:
        basis = or_(consent_holds(contact), contract_holds(contact, today))
    return and_(contact.id.is_not(None), basis)


def missing_basis(contact: Any, preset: Preset) -> Reason:
    """What a contact without the preset's legal basis lacks, as a reason (read only where
    `legal_basis_holds` does not hold): a withdrawn consent; then, for written consent, no
    consent or one without proof; else a contract that ended, or nothing on record."""
    if preset.legal_basis is None:
        return NO_LEGAL_BASIS  # only a deleted contact lacks it
    withdrawn = and_(contact.consent_at.is_not(None), contact.consent_withdrawn_at.is_not(None))
    if preset.legal_basis == WRITTEN_CONSENT:
        return case(
            (withdrawn, CONSENT_WITHDRAWN),
            (consent_holds(contact), CONSENT_WITHOUT_PROOF),
            else_=NO_CONSENT,
        )
    ended = contact.contract_kind.is_not(None)  # on record, and not holding: it ended
    return case((withdrawn, CONSENT_WITHDRAWN), (ended, CONTRACT_ENDED), else_=NO_LEGAL_BASIS)


def refused_recently(contact: Any, since: datetime | Any) -> ColumnElement[bool]:
    """The contact refused a call after `since` (the start of the silence)."""
    return and_(contact.refused_at.is_not(None), contact.refused_at > since)


def counted_attempts(account_id: Any, phone: Any, since: datetime | Any) -> Select:
    """(number, dial time) of the attempts the cap counts for `phone` (a column, a value or a
    list of numbers): those dialed after `since` on any of the account's deliveries to it,
    whatever their outcome, unless they never reached the carrier (recorded but not dialed
    yet, or settled `never_placed`)."""
    other, attempt = aliased(Delivery), aliased(Attempt)
    number = other.phone.in_(phone) if isinstance(phone, list) else other.phone == phone
    return (
        select(other.phone, attempt.dialed_at)
        .join(other, other.id == attempt.delivery_id)
        .where(
            other.account_id == account_id,
            number,
            attempt.dialed_at > since,
            reached_carrier(attempt),
        )
    )


def excluded_because(
    account_id: Any, phone: Any, contact: Any, preset: Preset | None, at: Moment
) -> list[tuple[ColumnElement[bool], Reason]]:
    """The rules that exclude a number for good, in order, each as (condition, reason): the
    do-not-call list, the National DNC registry (under any preset: an account that loaded
    its scrub called under none is bound as well), then under a preset no legal basis, a
    refusal within the silence."""
    suppressed = (
        select(Suppression.id)
        .where(Suppression.account_id == account_id, Suppression.phone == phone)
        .exists()
    )
    registry = national_dnc.registry_rule(
        account_id, phone, contact, at.relationship_since, written_consent_holds(contact)
    )
    rules = [(suppressed, SUPPRESSED), registry]
    if preset is None:
        return rules
    lacking = not_(legal_basis_holds(contact, preset, at.today))
    rules.append((lacking, missing_basis(contact, preset)))
    if preset.silence_after_refusal_days:
        rules.append((refused_recently(contact, at.refused_since), REFUSED))
    return rules


def held_back(
    account_id: Any, phone: Any, contact: Any, preset: Preset | None, at: Moment
) -> list[tuple[ColumnElement[bool], Reason]]:
    """Every rule that holds a number back now, in order, each as (condition, reason): the
    exclusions, then the rolling attempt cap (a wait)."""
    rules = excluded_because(account_id, phone, contact, preset, at)
    if preset is not None and preset.attempt_cap:
        counted = counted_attempts(account_id, phone, at.cap_since)
        calls = counted.with_only_columns(func.count(), maintain_column_froms=True)
        rules.append((calls.scalar_subquery() >= at.cap, ATTEMPT_CAP))
    if preset is not None:
        rules.extend(state_caps(account_id, phone, contact, preset.state_rules, at))
    return rules


def in_state(contact: Any, code: str) -> ColumnElement[bool]:
    """The contact is in the state `code` (one of its `regions`, two capitals each)."""
    return func.coalesce(contact.regions, "").like(f"%{code}%")


def state_caps(
    account_id: Any, phone: Any, contact: Any, state_rules: tuple[StateRule, ...], at: Moment
) -> list[tuple[ColumnElement[bool], Reason]]:
    """The state attempt caps, one rule per cap value: a contact in a state with that cap
    whose number had that many counted attempts over the last CAP_HOURS waits; its reason
    names the first such state ("state_cap:FL")."""
    found = []
    for cap in sorted({rule.cap for rule in state_rules if rule.cap}):
        capping = [rule for rule in state_rules if rule.cap == cap]
        counted = counted_attempts(account_id, phone, at.state_cap_since)
        calls = counted.with_only_columns(func.count(), maintain_column_froms=True)
        of_state = or_(*(in_state(contact, rule.code) for rule in capping))
        reason = case(*((in_state(contact, rule.code), rule.cap_reason) for rule in capping))
        found.append((and_(of_state, calls.scalar_subquery() >= cap), reason))
    return found


def first_reason(rules: list[tuple[ColumnElement[bool], Reason]]) -> ColumnElement[str]:
    """The reason of the first rule that holds, NULL when none does: may be called."""
    return case(*rules, else_=null())


@dataclass(frozen=True)
class Verdict:
    """Why a delivery may not be dialed now: excluded for good (`until` None), or waiting
    until `until`."""

    reason: str
    until: datetime | None = None


def verdicts(
    account_id: int, preset: Preset | None, delivery_ids: list[int], now: datetime
) -> dict[int, Verdict]:
    """The deliveries among `delivery_ids` that may not be dialed at `now`, and why: the
    first rule of `held_back` that holds (a number at its attempt cap waits until its oldest
    counted attempt leaves the period)."""
    if not delivery_ids:
        return {}
    rules = held_back(account_id, Delivery.phone, Contact, preset, moment(preset, now))
    rows = db.session.execute(
        select(Delivery.id, Delivery.phone, first_reason(rules))
        .outerjoin(Contact, Contact.id == Delivery.contact_id)
        .where(Delivery.id.in_(delivery_ids))
    ).all()
    caps = {reason: cap_of(preset, reason) for _, _, reason in rows if reason is not None}
    lifts: dict[tuple[str, str], datetime] = {}
    for reason, (cap, period) in caps.items():
        if cap:
            phones = [phone for _, phone, held in rows if held == reason]
            for phone, at in capped_within(account_id, phones, cap, period, now).items():
                lifts[phone, reason] = at
    return {
        delivery_id: Verdict(reason, lifts.get((phone, reason), now) if caps[reason][0] else None)
        for delivery_id, phone, reason in rows
        if reason is not None
    }


def cap_of(preset: Preset | None, reason: str) -> tuple[int | None, timedelta]:
    """The cap a reason holds a number back for, and its rolling period ((None, 0): not a
    cap, an exclusion)."""
    if preset is not None and reason == ATTEMPT_CAP:
        return preset.attempt_cap, timedelta(days=preset.attempt_cap_days)
    if preset is not None and reason.startswith(f"{CAP_REASON}:"):
        code = reason.partition(":")[2]
        cap = next(rule.cap for rule in preset.state_rules if rule.code == code)
        return cap, timedelta(hours=CAP_HOURS)
    return None, timedelta(0)


def capped_until(
    account_id: int, preset: Preset | None, phones: list[str], now: datetime
) -> dict[str, datetime]:
    """The numbers among `phones` at the preset's attempt cap, each with when it lifts."""
    if preset is None:
        return {}
    period = timedelta(days=preset.attempt_cap_days)
    return capped_within(account_id, phones, preset.attempt_cap, period, now)


def capped_within(
    account_id: int, phones: list[str], cap: int | None, period: timedelta, now: datetime
) -> dict[str, datetime]:
    """The numbers among `phones` that have had `cap` attempts within the rolling `period`
    (`counted_attempts`), each with when one leaves it."""
    if not cap or not phones:
        return {}
    times: dict[str, list[datetime]] = defaultdict(list)
    for phone, at in db.session.execute(counted_attempts(account_id, phones, now - period)):
        times[phone].append(at)
    capped = {}
    for phone, moments in times.items():
        if len(moments) >= cap:
            # The attempt whose leaving the period brings the count below the cap.
            moments.sort()
            capped[phone] = moments[len(moments) - cap] + period
    return capped
