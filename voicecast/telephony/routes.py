"""Twilio's webhooks for our outbound calls: the TwiML at pick-up and the status callbacks.

Every request must carry a valid X-Twilio-Signature (403 otherwise). Both answer at once: the
TwiML is decided from one joined row, and a status report is one conditional UPDATE
(`voicecast.delivery.reports`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Blueprint, Response, g

from voicecast.delivery import reports
from voicecast.delivery.dispatch import wake_dispatcher
from voicecast.extensions import csrf
from voicecast.telephony.signatures import require_twilio_signature

bp = Blueprint("twilio", __name__, url_prefix="/twilio")
csrf.exempt(bp)

TWIML = "text/xml"


Reply = tuple[int, str, str]  # HTTP status, content type, body


def int_param(params: Mapping[str, str], name: str) -> int | None:
    value = params.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def answer_reply(attempt_id: int, params: Mapping[str, str]) -> Reply:
    """The TwiML for the AMD verdict in `params` (404 for an unknown attempt)."""
    twiml = reports.answer(attempt_id, params.get("AnsweredBy", "unknown"))
    if twiml is None:
        return 404, "text/plain", "Unknown attempt.\n"
    return 200, TWIML, twiml


def status_reply(attempt_id: int, params: Mapping[str, str]) -> Reply:
    """Apply the status callback in `params` (404 for an unknown attempt)."""
    report, ended_campaign = reports.apply_status_report(
        attempt_id,
        params.get("CallStatus", ""),
        int_param(params, "SequenceNumber"),
        int_param(params, "ErrorCode"),
        params.get("CallSid") or None,
    )
    if report == reports.Report.UNKNOWN:
        return 404, "text/plain", "Unknown attempt.\n"
    if ended_campaign is not None:
        # A slot is free: let the dispatcher fill it now rather than at its next round. At
        # best: the report is committed, so Redis being down must not make it a 5xx.
        wake_dispatcher(ended_campaign)
    return 204, "text/plain", ""


REPLIES: dict[str, Callable[[int, Mapping[str, str]], Reply]] = {
    "answer": answer_reply,
    "status": status_reply,
}


def respond(reply: Reply) -> Response:
    status, mimetype, body = reply
    return Response(body, status, mimetype=mimetype)


@bp.post("/attempts/<int:attempt_id>/answer")
@require_twilio_signature
def answer(attempt_id: int) -> Response:
    return respond(answer_reply(attempt_id, g.twilio_params))


@bp.post("/attempts/<int:attempt_id>/status")
@require_twilio_signature
def status(attempt_id: int) -> Response:
    return respond(status_reply(attempt_id, g.twilio_params))
