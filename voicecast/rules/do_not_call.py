"""Numbers joining the account's do-not-call list at the person's own request (a key pressed
during a drop's message or a callback's greeting): written at once, kept as it is when the
number is there already, with the `opt_out` event in the same transaction."""

from __future__ import annotations

from voicecast import dialects
from voicecast.extensions import db
from voicecast.models import Suppression
from voicecast.models.base import utcnow
from voicecast.outbound import events

# Suppression.source of a key pressed during a drop's message (a callback's is "callback").
OPT_OUT_KEY_SOURCE = "opt_out_key"


def add(
    account_id: int, phone: str, source: str, reason: str | None, campaign_id: int | None
) -> bool:
    """`phone` on the account's list (`source`: who asked, `reason`: in the account's words);
    True when it was added now, False when it was there already. Does not commit."""
    now = utcnow()
    values = {
        "account_id": account_id,
        "phone": phone[:16],
        "source": source,
        "reason": reason[:200] if reason else None,
        "created_at": now,
        "updated_at": now,
    }
    added = db.session.execute(
        dialects.insert_for(Suppression).values(values).on_conflict_do_nothing()
    )
    if not added.rowcount:
        return False
    events.opt_out(account_id, values["phone"], source, values["reason"], now, campaign_id)
    return True
