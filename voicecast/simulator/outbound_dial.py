"""`<Dial>` on a call we placed (a seller's call back: the seller's leg dials the customer).

The dialed phone behaves as the outcome rules say for its number (`outcomes.py`, by last digit
or `/_sim/rules`), as a call we place would: a person or a machine answers after
ANSWER_AFTER media seconds and the legs talk for TALK_SECONDS (the Dial's `completed`: Twilio
reports a voicemail that picks up as answered too), `busy`, `no-answer` after the Dial's
timeout, `failed`. The Dial's `action` hears DialCallStatus, DialCallSid and DialCallDuration;
the leg is noted in the placed call's `dials`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from voicecast.simulator import outcomes, twiml
from voicecast.simulator.dial import DIAL_TIMEOUT, dialed_numbers, end_leg, new_leg
from voicecast.simulator.resource import E164
from voicecast.simulator.session import CONTINUE, seconds_attr

if TYPE_CHECKING:
    from voicecast.simulator.player import CallPlayer

ANSWER_AFTER = 4.0  # media seconds of ringing before the dialed phone answers
TALK_SECONDS = 20.0  # the conversation once bridged
BUSY_AFTER = 1.0


def run_outbound_dial(player: CallPlayer, verb: twiml.Verb) -> Any:
    """Act on `<Dial>` for a placed call: CONTINUE, the action's source, or None (end)."""
    nouns = dialed_numbers(verb)
    if not nouns:
        player.ignore(verb, "nothing to dial: only <Number> or a number as text is simulated")
        return CONTINUE
    number, attrs = nouns[0]
    caller_id = verb.attrs.get("callerId") or player.call.from_
    timeout = seconds_attr(verb, "timeout", DIAL_TIMEOUT)
    leg = new_leg(player, number, caller_id, attrs)  # type: ignore[arg-type]
    verdict = player.sim.rules.decide(number) if E164.match(number) else None
    outcome = verdict.outcome if verdict else outcomes.FAILED
    talk = 0.0
    if outcome == outcomes.BUSY:
        player.spend(min(timeout, BUSY_AFTER))
        status = "busy"
    elif outcome in (outcomes.NO_ANSWER, outcomes.FAILED) or timeout < ANSWER_AFTER:
        player.spend(timeout if outcome != outcomes.FAILED else 0.0)
        status = "failed" if outcome == outcomes.FAILED else "no-answer"
    else:
        player.spend(ANSWER_AFTER)
        leg.answered_at = leg.start_time
        talk = TALK_SECONDS
        player.spend(talk)
        status = "completed"
    end_leg(player, leg, status, talk)  # type: ignore[arg-type]
    params = {
        "DialCallStatus": status,
        "DialCallSid": leg.sid,
        "DialCallDuration": str(max(1, math.ceil(talk)) if talk else 0),
    }
    with player.sim.ledger.lock:
        player.call.dials.append({
            "sid": leg.sid, "to": leg.to, "caller_id": leg.from_, "status": leg.status,
            "dial_call_status": status, "duration": leg.duration, "answered_by": outcome,
            "attrs": verb.attrs,
        })  # fmt: skip
    if verb.attrs.get("action"):
        return player.action(verb, params)
    return None if status == "completed" else CONTINUE
