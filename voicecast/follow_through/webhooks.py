"""Twilio's webhooks of a call back's seller leg, `/twilio/call-backs/<id>/<step>`
(`flow.py`). Every request must be signed (403)."""

from __future__ import annotations

from flask import Blueprint

from voicecast.extensions import csrf
from voicecast.follow_through import flow
from voicecast.telephony.inbound import Step, step_view

bp = Blueprint("call_back_hooks", __name__, url_prefix="/twilio/call-backs")
csrf.exempt(bp)

STEPS: dict[str, Step] = {
    "answered": flow.answered,
    "key": flow.key,
    "dialed": flow.dialed,
    "status": flow.status,
}

assert tuple(STEPS) == flow.STEP_NAMES  # flow.hook_url writes these paths out
for _name, _handler in STEPS.items():
    bp.add_url_rule(
        f"/<int:call_back_id>/{_name}", _name, step_view(_name, _handler), methods=["POST"]
    )
