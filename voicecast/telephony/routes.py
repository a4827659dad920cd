"""Twilio's webhooks for our outbound calls: the TwiML at pick-up, the async AMD verdict, the
status callbacks, the message played to its end, the opt-out key pressed during a message, and
the documents of a person put through to the seller.

Every request must carry a valid X-Twilio-Signature (403 otherwise). They answer at once: the
TwiML is decided from one joined row, a status report is one conditional UPDATE
(`voicecast.delivery.reports`), and the verdict is kept before the live call is redirected
(`voicecast.delivery.amd`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Blueprint, Response, g, request
from werkzeug.datastructures import MultiDict

from voicecast.delivery import amd, connect, optout, reports
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


def twiml_reply(twiml: str | None) -> Reply:
    if twiml is None:
        return 404, "text/plain", "Unknown attempt.\n"
    return 200, TWIML, twiml


def answer_reply(attempt_id: int, params: Mapping[str, str]) -> Reply:
    """The TwiML at pick-up: without a verdict (async AMD) what a person should hear at once;
    with one (synchronous AMD, calls dialed before async AMD) what the verdict asks for. 404
    for an unknown attempt."""
    if "AnsweredBy" not in params:
        return twiml_reply(amd.first_twiml(attempt_id, params.get("From") or None))
    detection_ms = int_param(params, "MachineDetectionDuration")
    caller = params.get("From") or None
    return twiml_reply(reports.answer(attempt_id, params["AnsweredBy"], detection_ms, caller))


def amd_reply(attempt_id: int, params: Mapping[str, str]) -> Reply:
    """Async AMD's verdict: kept once, and acted on on the live call (404 for an unknown
    attempt). The query's `caller` is the number the call was placed from (signed with it)."""
    found = amd.on_verdict(
        attempt_id,
        params.get("AnsweredBy") or "unknown",
        int_param(params, "MachineDetectionDuration"),
        params.get("CallSid") or None,
        params.get("caller") or None,
    )
    if not found:
        return 404, "text/plain", "Unknown attempt.\n"
    return 204, "text/plain", ""


def status_reply(attempt_id: int, params: Mapping[str, str]) -> Reply:
    """Apply the status callback in `params` (404 for an unknown attempt)."""
    report, ended_campaign = reports.apply_status_report(
        attempt_id,
        params.get("CallStatus", ""),
        int_param(params, "SequenceNumber"),
        int_param(params, "ErrorCode"),
        params.get("CallSid") or None,
        int_param(params, "CallDuration"),
    )
    if report == reports.Report.UNKNOWN:
        return 404, "text/plain", "Unknown attempt.\n"
    if ended_campaign is not None:
        # A slot is free: let the dispatcher fill it now rather than at its next round. At
        # best: the report is committed, so Redis being down must not make it a 5xx.
        wake_dispatcher(ended_campaign)
    return 204, "text/plain", ""


# Parameters we put in a webhook's URL (signed with it), handed to the replies with the form's.
URL_PARAMS = ("caller", "over")


def with_url_params(params: MultiDict[str, str], values: Callable[[str], list[str]]) -> None:
    """Add `URL_PARAMS` to the webhook's form `params`, one value each at most, from
    `values(name)` (the query string's values of that name)."""
    for name in URL_PARAMS:
        params.setlist(name, values(name)[:1])


def held_reply(attempt_id: int, params: Mapping[str, str]) -> Reply:
    """The first document's message is over (`over`: the hold ran out): `amd.held`."""
    return twiml_reply(amd.held(attempt_id, over=params.get("over") == "1"))


def message_played_reply(attempt_id: int, params: Mapping[str, str]) -> Reply:
    """The message played to its end (`reports.message_ended`): the call hangs up."""
    return twiml_reply(reports.message_ended(attempt_id))


def opt_out_reply(attempt_id: int, params: Mapping[str, str]) -> Reply:
    """A key pressed during a drop's message (`optout.on_key`): the opt-out key confirmed."""
    return twiml_reply(optout.on_key(attempt_id, params))


REPLIES: dict[str, Callable[[int, Mapping[str, str]], Reply]] = {
    "answer": answer_reply,
    "status": status_reply,
    "amd": amd_reply,
    "held": held_reply,
    "optout": opt_out_reply,
    "played": message_played_reply,
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


@bp.post("/attempts/<int:attempt_id>/amd")
@require_twilio_signature
def amd_verdict(attempt_id: int) -> Response:
    params = g.twilio_params.copy()
    with_url_params(params, request.args.getlist)
    return respond(amd_reply(attempt_id, params))


@bp.post("/attempts/<int:attempt_id>/held")
@require_twilio_signature
def held(attempt_id: int) -> Response:
    params = g.twilio_params.copy()
    with_url_params(params, request.args.getlist)
    return respond(held_reply(attempt_id, params))


@bp.post("/attempts/<int:attempt_id>/optout")
@require_twilio_signature
def opt_out(attempt_id: int) -> Response:
    return respond(opt_out_reply(attempt_id, g.twilio_params))


@bp.post("/attempts/<int:attempt_id>/played")
@require_twilio_signature
def message_played(attempt_id: int) -> Response:
    return respond(message_played_reply(attempt_id, g.twilio_params))


@bp.post("/attempts/<int:attempt_id>/whisper")
@require_twilio_signature
def whisper(attempt_id: int) -> Response:
    return respond(twiml_reply(connect.whisper(attempt_id)))


@bp.post("/attempts/<int:attempt_id>/accept")
@require_twilio_signature
def accept(attempt_id: int) -> Response:
    return respond(twiml_reply(connect.accept(g.twilio_params.get("Digits", ""))))


@bp.post("/attempts/<int:attempt_id>/connected")
@require_twilio_signature
def connected(attempt_id: int) -> Response:
    status = g.twilio_params.get("DialCallStatus", "")
    return respond(twiml_reply(connect.dialed(attempt_id, status)))
