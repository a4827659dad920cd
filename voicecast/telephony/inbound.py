"""Twilio's webhooks for customers calling our numbers back (`voicecast.callbacks.flow`).

The numbers' voice URL is `/twilio/voice`, their voice fallback URL `/twilio/voice/fallback` (the
carrier asks it at once when it could not get or run the first answer: a web node that died
with the request) and their status callback `/twilio/voice/status`; the documents we answer
point at the per-call URLs below. Every request must be signed (403).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from flask import Blueprint, Response, g

from voicecast.callbacks import flow
from voicecast.extensions import csrf
from voicecast.telephony.signatures import require_twilio_signature

bp = Blueprint("inbound", __name__, url_prefix="/twilio")
csrf.exempt(bp)
log = logging.getLogger(__name__)


def respond(reply: flow.Reply) -> Response:
    status, mimetype, body = reply
    return Response(body, status, mimetype=mimetype)


@bp.post("/voice")
@require_twilio_signature
def voice() -> Response:
    return respond(flow.incoming(g.twilio_params))


@bp.post("/voice/fallback")
@require_twilio_signature
def voice_fallback() -> Response:
    """The same answer as `voice` (one call, one record, by its CallSid), after the carrier
    failed to get it from `ErrorUrl`: the caller is not lost to a node's death."""
    params = g.twilio_params
    log.warning(
        "call %s: the carrier could not get its answer from %s (error %s); answered by the "
        "fallback URL", params.get("CallSid"), params.get("ErrorUrl"), params.get("ErrorCode"),
    )  # fmt: skip
    return respond(flow.incoming(params))


@bp.post("/voice/status")
@require_twilio_signature
def voice_status() -> Response:
    return respond(flow.call_ended(g.twilio_params))


STEPS: dict[str, Callable[[int, Mapping[str, str]], flow.Reply]] = {
    "menu": flow.menu,
    "whisper": flow.whisper,
    "accept": flow.accept,
    "dialed": flow.dialed,
    "recorded": flow.recorded,
    "recording": flow.recording_ready,
}


Step = Callable[[int, Mapping[str, str]], flow.Reply]


def step_view(name: str, handler: Step | None = None) -> Callable[..., Response]:
    """A signed webhook answering with `handler` (default: the callback step `name`), given
    the one id of its URL (a callback's here, a call back's in `follow_through/webhooks.py`)."""
    handler = handler or STEPS[name]

    @require_twilio_signature
    def view(**ids: int) -> Response:
        (row_id,) = ids.values()
        return respond(handler(row_id, g.twilio_params))

    view.__name__ = name
    return view


assert tuple(STEPS) == flow.STEP_NAMES  # flow.urls_of writes these paths out
for _name in STEPS:
    bp.add_url_rule(f"/callbacks/<int:call_id>/{_name}", _name, step_view(_name), methods=["POST"])
