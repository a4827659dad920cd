"""The dial claim: the one statement that moves an attempt `created -> dialing`, committed
right before its carrier request, and so the last word on whether a call may be placed: only
while its campaign runs, never to a number on the do-not-call list and, under a preset, only
with a legal basis, outside the silence after a refusal and below the rolling attempt cap
(which counts the attempts dialed, less those that never reached the carrier).
Plain SQL for `voicecast.hotsql` (portable, named parameters), built once per preset."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from voicecast import dialects, hotsql
from voicecast.rules.presets import CONSENT_OR_CONTRACT, WRITTEN_CONSENT, Preset

BASE = (
    "UPDATE attempts SET state = 'dialing', dialed_at = :now, rules = :rules"
    " WHERE id = :attempt_id AND state = 'created' AND EXISTS (SELECT 1 FROM campaigns"
    " WHERE campaigns.id = attempts.campaign_id AND campaigns.status = 'running')"
    " AND NOT EXISTS (SELECT 1 FROM deliveries d JOIN suppressions s"
    " ON s.account_id = d.account_id AND s.phone = d.phone WHERE d.id = attempts.delivery_id)"
)
CONSENT = "c.consent_at IS NOT NULL AND c.consent_withdrawn_at IS NULL"
LEGAL_BASIS = {
    WRITTEN_CONSENT: f"({CONSENT} AND COALESCE(c.consent_proof, '') <> '')",
    CONSENT_OR_CONTRACT: f"(({CONSENT}) OR (c.contract_kind IS NOT NULL"
    " AND (c.contract_ends_on IS NULL OR c.contract_ends_on >= :today)))",
}
NOT_REFUSED = " AND (c.refused_at IS NULL OR c.refused_at <= :refused_since)"
BELOW_CAP = (
    " AND (SELECT count(*) FROM deliveries d JOIN deliveries o"
    " ON o.account_id = d.account_id AND o.phone = d.phone JOIN attempts a"
    " ON a.delivery_id = o.id WHERE d.id = attempts.delivery_id"
    " AND a.dialed_at > :cap_since AND COALESCE(a.outcome, '') <> 'never_placed') < :cap"
)


@cache
def claim_sql(preset: Preset | None) -> str:
    """The claim statement under `preset` (None: the campaign's own window only)."""
    if preset is None:
        return BASE
    sql = BASE
    if preset.legal_basis or preset.silence_after_refusal_days:
        basis = LEGAL_BASIS.get(preset.legal_basis or "", "1 = 1")
        refused = NOT_REFUSED if preset.silence_after_refusal_days else ""
        sql += (
            " AND EXISTS (SELECT 1 FROM deliveries d JOIN contacts c ON c.id = d.contact_id"
            f" WHERE d.id = attempts.delivery_id AND {basis}{refused})"
        )
    if preset.attempt_cap:
        sql += BELOW_CAP
    return sql


def claim_params(attempt_id: int, preset: Preset | None, now: datetime) -> dict[str, Any]:
    params: dict[str, Any] = {
        "attempt_id": attempt_id,
        "now": dialects.bind_datetime(now),
        "rules": preset.name if preset else "none",
    }
    if preset is None:
        return params
    params["today"] = dialects.bind_date(now.date())
    if preset.silence_after_refusal_days:
        since = now - timedelta(days=preset.silence_after_refusal_days)
        params["refused_since"] = dialects.bind_datetime(since)
    if preset.attempt_cap:
        params["cap"] = preset.attempt_cap
        params["cap_since"] = dialects.bind_datetime(now - timedelta(days=preset.attempt_cap_days))
    return params


def claim(attempt_id: int, preset: Preset | None, now: datetime) -> bool:
    """Claim the attempt for dialing (committed); False when it may not be dialed."""
    claimed, _ = hotsql.execute(claim_sql(preset), claim_params(attempt_id, preset, now))
    hotsql.commit()
    return claimed == 1
