"""The webhooks a call sends our app: status callbacks, TwiML requests, async AMD verdicts."""

from __future__ import annotations

from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from voicecast.simulator import rough_calls
from voicecast.simulator.ledger import CallRecord, iso, now
from voicecast.simulator.webhooks import HttpResult, signed_request

if TYPE_CHECKING:
    from voicecast.simulator.engine import Simulator

API_VERSION = "2010-04-01"
EVENTS = ("initiated", "ringing", "answered", "completed")
EVENT_STATUS = {"initiated": "initiated", "ringing": "ringing", "answered": "in-progress"}


def requested_events(params: dict[str, Any]) -> set[str]:
    """`StatusCallbackEvent` values (repeated, or space-separated); `completed` alone if none."""
    raw = params.get("StatusCallbackEvent") or []
    values = [raw] if isinstance(raw, str) else list(raw)
    events = {word.lower() for value in values for word in str(value).replace(",", " ").split()}
    return events or {"completed"}


class Callbacks:
    """Signed requests from one call, each noted in its ledger entry."""

    def __init__(self, sim: Simulator, call: CallRecord) -> None:
        self.sim = sim
        self.call = call

    def call_params(self, call_status: str) -> dict[str, str]:
        """The parameters Twilio sends with every voice webhook of this call leg."""
        call = self.call
        params = {
            "CallSid": call.sid,
            "AccountSid": call.account_sid,
            "From": call.from_,
            "To": call.to,
            "Caller": call.from_,
            "Called": call.to,
            "CallStatus": call_status,
            "Direction": call.direction,
            "ApiVersion": API_VERSION,
        }
        if call.parent_call_sid:
            params["ParentCallSid"] = call.parent_call_sid
        params.update(call.extra_params)
        return params

    def request(
        self, url: str, params: dict[str, str], method: str = "POST", kind: str = "twiml"
    ) -> HttpResult:
        """One signed request to our app within the webhook time budget, noted in the ledger's
        `requests` (with the body it got back, where that is a TwiML document)."""
        config = self.sim.config
        result = signed_request(url, params, config.auth_token, method, config.webhook_timeout)
        with self.sim.ledger.lock:
            self.call.requests.append(
                {
                    "kind": kind,
                    "url": url,
                    "method": result.method,
                    "params": dict(params),
                    "http_status": result.status,
                    "elapsed_ms": round(result.elapsed_seconds * 1000),
                    "sent_at": iso(now()),
                    "error": result.error,
                    "body": result.body.decode("utf-8", "replace") if kind == "twiml" else None,
                }
            )
        return result

    def status(self, event: str) -> None:
        """Send the `event` status callback if the create request asked for it."""
        with self.sim.ledger.lock:
            call = self.call
            url = call.params.get("StatusCallback")
            if (
                not url
                or event not in requested_events(call.params)
                or call.hangup_status == "abort"
            ):
                return
            call_status = EVENT_STATUS.get(event, call.status)
            params = self.call_params(call_status)
            params.update(
                {
                    "Timestamp": format_datetime(now()),
                    "SequenceNumber": str(call.sequence),
                    "CallbackSource": "call-progress-events",
                }
            )
            call.sequence += 1
            if event == "completed":
                params["CallDuration"] = str(call.duration or 0)
                params["Duration"] = str(((call.duration or 0) + 59) // 60)
                params["SipResponseCode"] = str(call.sip_response_code)
                if call.answered_by:
                    params["AnsweredBy"] = call.answered_by
            method = call.params.get("StatusCallbackMethod") or "POST"
        rough_calls.send_status(self, event, url, params, method)

    def send(self, event: str, url: str, params: dict[str, str], method: str) -> None:
        result = self.request(url, params, method, kind=event)
        with self.sim.ledger.lock:
            self.call.callbacks.append(
                {
                    "event": event,
                    "url": url,
                    "method": result.method,
                    "call_status": params.get("CallStatus"),
                    "sequence_number": params.get("SequenceNumber"),
                    "answered_by": params.get("AnsweredBy"),
                    "sent_at": iso(now()),
                    "http_status": result.status,
                    "elapsed_ms": round(result.elapsed_seconds * 1000),
                    "error": result.error,
                }
            )
            if not result.ok:
                self.call.error(11200, f"{event} callback failed: {result.error}", url=url)
