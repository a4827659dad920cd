"""Who may be called now under a preset: the legal basis, the silence after a refusal and the
rolling attempt cap, as SQL conditions for planning and as verdicts on a batch of deliveries
for the dispatcher and the dial job (one rule, read the same way everywhere)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true

from voicecast.extensions import db
from voicecast.models import Attempt, Contact, Delivery, Suppression
from voicecast.rules.presets import WRITTEN_CONSENT, Preset

# Why a delivery is not dialed (its `reason`): excluded for good, or waiting (`ATTEMPT_CAP`).
NO_LEGAL_BASIS = "no_legal_basis"
REFUSED = "refused_recently"
SUPPRESSED = "suppressed"
ATTEMPT_CAP = "attempt_cap"
# An attempt's outcome when it never reached the carrier (it called nobody, so the cap skips
# it), and the reason of a delivery whose attempts never did (`calls.settle_never_placed`).
NEVER_PLACED = "never_placed"


def reached_carrier() -> ColumnElement[bool]:
    """The attempt was dialed and may have reached the carrier: what counts as a call (the
    attempt cap, the calls placed on a campaign's page), unlike one recorded but not dialed
    yet or settled never placed."""
    return and_(Attempt.dialed_at.is_not(None), func.coalesce(Attempt.outcome, "") != NEVER_PLACED)


def consent_holds(contact: Any) -> ColumnElement[bool]:
    """Consent given and not withdrawn (`contact`: the Contact model or a subquery's `c`)."""
    return and_(contact.consent_at.is_not(None), contact.consent_withdrawn_at.is_(None))


def contract_holds(contact: Any, today: date) -> ColumnElement[bool]:
    """A contract on record that has not ended before `today`."""
    return and_(
        contact.contract_kind.is_not(None),
        or_(contact.contract_ends_on.is_(None), contact.contract_ends_on >= today),
    )


def legal_basis_holds(contact: Any, preset: Preset | None, today: date) -> ColumnElement[bool]:
    """The preset's legal basis for calling holds for `contact` today."""
    if preset is None or preset.legal_basis is None:
        return true()
    if preset.legal_basis == WRITTEN_CONSENT:
        return and_(consent_holds(contact), func.coalesce(contact.consent_proof, "") != "")
    return or_(consent_holds(contact), contract_holds(contact, today))


def refused_recently(contact: Any, preset: Preset | None, now: datetime) -> ColumnElement[bool]:
    """The contact refused a call within the preset's silence period."""
    if preset is None or not preset.silence_after_refusal_days:
        return false()
    since = now - timedelta(days=preset.silence_after_refusal_days)
    return and_(contact.refused_at.is_not(None), contact.refused_at > since)


@dataclass(frozen=True)
class Verdict:
    """Why a delivery may not be dialed now: excluded for good (`until` None), or waiting
    until `until`."""

    reason: str
    until: datetime | None = None


def verdicts(
    account_id: int, preset: Preset | None, delivery_ids: list[int], now: datetime
) -> dict[int, Verdict]:
    """The deliveries among `delivery_ids` that may not be dialed at `now`, and why: on the
    do-not-call list, no legal basis (or the contact is gone), refused recently, or the number
    has had its attempts for the rolling period (waits until the oldest leaves it)."""
    if not delivery_ids:
        return {}
    contact_rows = db.session.execute(
        select(
            Delivery.id,
            Delivery.phone,
            Contact.id.is_not(None),
            legal_basis_holds(Contact, preset, now.date()),
            refused_recently(Contact, preset, now),
            select(Suppression.id)
            .where(Suppression.account_id == account_id, Suppression.phone == Delivery.phone)
            .exists(),
        )
        .outerjoin(Contact, Contact.id == Delivery.contact_id)
        .where(Delivery.id.in_(delivery_ids))
    ).all()
    found: dict[int, Verdict] = {}
    phones: dict[str, int] = {}
    for delivery_id, phone, has_contact, lawful, refused, suppressed in contact_rows:
        if suppressed:
            found[delivery_id] = Verdict(SUPPRESSED)
        elif preset is not None and (not has_contact or not lawful):
            found[delivery_id] = Verdict(NO_LEGAL_BASIS)
        elif refused:
            found[delivery_id] = Verdict(REFUSED)
        else:
            phones[phone] = delivery_id
    for phone, until in capped_until(account_id, preset, list(phones), now).items():
        found[phones[phone]] = Verdict(ATTEMPT_CAP, until)
    return found


def capped_until(
    account_id: int, preset: Preset | None, phones: list[str], now: datetime
) -> dict[str, datetime]:
    """The numbers among `phones` that have had the preset's attempts within its rolling
    period, each with when one leaves it. An attempt counts from its dial claim (`dialed_at`),
    whatever its outcome, unless it never reached the carrier: one recorded but not dialed
    yet, or settled `never_placed`, called nobody (as `claim.BELOW_CAP` counts)."""
    if preset is None or not preset.attempt_cap or not phones:
        return {}
    period = timedelta(days=preset.attempt_cap_days)
    placed = Attempt.dialed_at
    rows = db.session.execute(
        select(Delivery.phone, placed)
        .join(Attempt, Attempt.delivery_id == Delivery.id)
        .where(
            Delivery.account_id == account_id,
            Delivery.phone.in_(phones),
            placed > now - period,
            reached_carrier(),
        )
    ).all()
    times: dict[str, list[datetime]] = defaultdict(list)
    for phone, at in rows:
        times[phone].append(at)
    capped = {}
    for phone, moments in times.items():
        if len(moments) >= preset.attempt_cap:
            # The attempt whose leaving the period brings the count below the cap.
            moments.sort()
            capped[phone] = moments[len(moments) - preset.attempt_cap] + period
    return capped
