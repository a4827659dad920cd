"""Twilio's webhooks for our outbound calls: the TwiML at pick-up and the status callbacks.

Every request must carry a valid X-Twilio-Signature (403 otherwise). Both answer at once: the
TwiML decides from the attempt's row alone, and a status report is one small transaction.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from sqlalchemy import select

from voicecast.delivery.calls import answer_twiml, apply_carrier_status
from voicecast.delivery.dispatch import request_dispatch
from voicecast.extensions import csrf, db
from voicecast.models import Attempt
from voicecast.telephony.signatures import require_twilio_signature

bp = Blueprint("twilio", __name__, url_prefix="/twilio")
csrf.exempt(bp)

TWIML = "text/xml"


def attempt_or_404(attempt_id: int) -> Attempt:
    attempt = db.session.scalar(select(Attempt).where(Attempt.id == attempt_id).with_for_update())
    if attempt is None:
        abort(404)
    return attempt


def int_param(name: str) -> int | None:
    value = request.form.get(name, "")
    return int(value) if value.isdigit() else None


@bp.post("/attempts/<int:attempt_id>/answer")
@require_twilio_signature
def answer(attempt_id: int) -> Response:
    attempt = attempt_or_404(attempt_id)
    twiml = answer_twiml(attempt, request.form.get("AnsweredBy", "unknown"))
    db.session.commit()
    return Response(twiml, mimetype=TWIML)


@bp.post("/attempts/<int:attempt_id>/status")
@require_twilio_signature
def status(attempt_id: int) -> tuple[str, int]:
    attempt = attempt_or_404(attempt_id)
    sid = request.form.get("CallSid")
    if attempt.call_sid is None and sid:
        attempt.call_sid = sid  # the callback can beat the dial job to recording the sid
    changed = apply_carrier_status(
        attempt,
        request.form.get("CallStatus", ""),
        int_param("SequenceNumber"),
        int_param("ErrorCode"),
    )
    db.session.commit()
    if changed and attempt.outcome is not None:
        # A slot is free: let the dispatcher fill it now rather than at its next round.
        request_dispatch(attempt.campaign_id)
    return "", 204
