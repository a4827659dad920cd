"""A callback's webhooks, from the call arriving to its end. Each one is idempotent (Twilio may
send a request twice) and an outcome only moves forward (`CallbackOutcome.rank`).

Every function takes the webhook's parameters and answers (HTTP status, content type, body).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select

from voicecast.callbacks import twiml, voicemails
from voicecast.callbacks.notify import kind_of
from voicecast.callbacks.routing import Routing, number_to_ring, route_callback
from voicecast.callbacks.wording import (
    ACCEPT_KEY,
    contact_name,
    opt_out_key,
    spoken_number,
    texts_for,
)
from voicecast.extensions import db
from voicecast.jobs import NOTIFY_MISSED_CALLBACK
from voicecast.models import (
    Account,
    CallbackOutcome,
    Campaign,
    Contact,
    InboundCall,
    PhoneNumber,
    User,
)
from voicecast.models.base import utcnow
from voicecast.observability.metrics import (
    CALLBACKS_ENDED,
    CALLBACKS_RECEIVED,
    WAKEUPS_MISSED,
    count,
)
from voicecast.outbound import events
from voicecast.rules import do_not_call

log = logging.getLogger(__name__)

Reply = tuple[int, str, str]
TWIML = "text/xml"
UNKNOWN_CALL: Reply = (404, "text/plain", "Unknown call.\n")
CONNECTED_DIAL_STATUSES = {"completed", "answered"}
STEP_NAMES = ("menu", "whisper", "accept", "dialed", "recorded", "recording")


def twiml_reply(body: str) -> Reply:
    return 200, TWIML, body


def urls_of(call: InboundCall) -> dict[str, str]:
    """The webhook URLs of one callback, under PUBLIC_BASE_URL (the routes of
    `voicecast.telephony.inbound`, written out: building six URLs through the URL map cost
    more than the rest of the document)."""
    base = f"{current_app.config['PUBLIC_BASE_URL']}/twilio/callbacks/{call.id}/"
    urls = {name: base + name for name in STEP_NAMES}
    urls["caller"] = call.from_number
    return urls


def incoming(params: Mapping[str, str], now: datetime | None = None) -> Reply:
    """A call to one of our numbers: record it, route it, greet the caller."""
    now = now or utcnow()
    to, caller, sid = params.get("To", ""), params.get("From", ""), params.get("CallSid", "")
    line = db.session.scalar(select(PhoneNumber).where(PhoneNumber.number == to))
    if line is None or not sid:
        texts = texts_for(None)
        return twiml_reply(twiml.say_then_hang_up(texts["unknown_number"], texts))
    call = db.session.scalar(select(InboundCall).where(InboundCall.call_sid == sid))
    routing = route_callback(line, caller, now)
    if call is None:  # a repeated request answers the same, from the stored call
        call = new_inbound_call(sid, line, caller, routing, number_to_ring(routing, now), now)
    texts = texts_for(routing.account.country)
    urls = {**urls_of(call), "voicemail_text": voicemail_prompt(routing.seller, texts)}
    if routing.seller is not None:
        greeting = texts["connecting"].format(seller=routing.seller.name, key=opt_out_key())
    else:
        greeting = texts["connecting_desk"].format(key=opt_out_key())
    document = twiml.greeting(greeting, texts, urls["menu"], call.dialed_number, urls)
    db.session.commit()  # last: committing earlier would make every object read again
    return twiml_reply(document)


def new_inbound_call(
    sid: str, line: PhoneNumber, caller: str, routing: Routing, ring: str | None, now: datetime
) -> InboundCall:
    attribution = routing.attribution
    call = InboundCall(
        account_id=line.account_id,
        call_sid=sid,
        from_number=caller[:32],
        to_number=line.number,
        contact_id=routing.contact.id if routing.contact else None,
        delivery_id=attribution.delivery_id if attribution else None,
        campaign_id=attribution.campaign_id if attribution else None,
        seller_id=routing.seller.id if routing.seller else None,
        route=routing.route,
        dialed_number=ring,
        started_at=now,
    )
    db.session.add(call)
    db.session.flush()  # its id, for the URLs; the caller commits
    count(CALLBACKS_RECEIVED)
    return call


def voicemail_prompt(seller: User | None, texts: dict[str, str]) -> str:
    if seller is None:
        return texts["voicemail_desk"]
    return texts["voicemail"].format(seller=seller.name)


def call_of(call_id: int, params: Mapping[str, str], leg: str = "CallSid") -> InboundCall | None:
    """The callback `call_id`, if the request is about it (its own sid, or for the seller's
    leg the parent's)."""
    call = db.session.get(InboundCall, call_id)
    if call is None or params.get(leg) != call.call_sid:
        return None
    return call


def account_country(call: InboundCall) -> str:
    return db.session.get(Account, call.account_id).country


def account_texts(call: InboundCall) -> dict[str, str]:
    return texts_for(account_country(call))


def move_outcome(call: InboundCall, outcome: CallbackOutcome) -> bool:
    """Set `outcome` unless the call already has one as final or more; True if set."""
    if call.outcome is not None and call.outcome.rank >= outcome.rank:
        return False
    call.outcome = outcome
    return True


def menu(call_id: int, params: Mapping[str, str]) -> Reply:
    """The caller pressed a key during the greeting: the opt-out key (OPT_OUT_KEY, 9 by
    default) opts out, anything else connects."""
    call = call_of(call_id, params)
    if call is None:
        return UNKNOWN_CALL
    texts = account_texts(call)
    if params.get("Digits") == opt_out_key():
        suppress(call, params.get("CallSid", ""))
        move_outcome(call, CallbackOutcome.OPTED_OUT)
        db.session.commit()
        return twiml_reply(twiml.say_then_hang_up(texts["opted_out"], texts))
    urls = urls_of(call)
    if call.dialed_number is None:
        seller = db.session.get(User, call.seller_id) if call.seller_id else None
        return twiml_reply(twiml.voicemail(voicemail_prompt(seller, texts), texts, urls))
    return twiml_reply(twiml.dial_only(call.dialed_number, urls))


def opt_out_reason(call: InboundCall, sid: str) -> str:
    """Why the number is on the list, in the account's language (its contact page shows it)."""
    country = account_country(call)
    number = spoken_number(call.to_number, country)
    return texts_for(country)["opt_out_reason"].format(key=opt_out_key(), number=number, sid=sid)[
        :200
    ]


def suppress(call: InboundCall, sid: str) -> None:
    """The caller's number on the account's do-not-call list, at once (kept if already)."""
    do_not_call.add(
        call.account_id, call.from_number, "callback", opt_out_reason(call, sid), call.campaign_id
    )


def whisper(call_id: int, params: Mapping[str, str]) -> Reply:
    """The seller picked up: tell them who calls and why, and wait for their key."""
    call = call_of(call_id, params, leg="ParentCallSid")
    if call is None:
        return UNKNOWN_CALL
    texts = account_texts(call)
    contact = db.session.get(Contact, call.contact_id) if call.contact_id else None
    caller = contact_name(contact, call.from_number, account_country(call))
    campaign = db.session.get(Campaign, call.campaign_id) if call.campaign_id else None
    about = texts["whisper_campaign"].format(campaign=campaign.name) if campaign else ""
    text = texts["whisper"].format(caller=caller, campaign=about)
    return twiml_reply(twiml.whisper(text, texts, urls_of(call)["accept"]))


def accept(call_id: int, params: Mapping[str, str]) -> Reply:
    """The seller's key after the whisper: 1 takes the call, anything else declines it."""
    call = call_of(call_id, params, leg="ParentCallSid")
    if call is None:
        return UNKNOWN_CALL
    if params.get("Digits") != ACCEPT_KEY:
        return twiml_reply(twiml.hang_up())
    if call.accepted_at is None:
        call.accepted_at = utcnow()
        db.session.commit()
    return twiml_reply(twiml.bridge())


def dialed(call_id: int, params: Mapping[str, str]) -> Reply:
    """The dial is over: connected (the seller took it), or the caller goes to voicemail."""
    call = call_of(call_id, params)
    if call is None:
        return UNKNOWN_CALL
    status = params.get("DialCallStatus", "")
    call.dial_status = status[:16] or call.dial_status
    # Taken only if the seller pressed the key: a voicemail that picked up is not the seller.
    if call.accepted_at is not None and status in CONNECTED_DIAL_STATUSES:
        duration = params.get("DialCallDuration", "")
        call.talk_seconds = int(duration) if duration.isdigit() else call.talk_seconds
        move_outcome(call, CallbackOutcome.CONNECTED)
        db.session.commit()
        return twiml_reply(twiml.hang_up())
    db.session.commit()
    texts = account_texts(call)
    seller = db.session.get(User, call.seller_id) if call.seller_id else None
    return twiml_reply(twiml.voicemail(voicemail_prompt(seller, texts), texts, urls_of(call)))


def keep_recording(call: InboundCall, params: Mapping[str, str]) -> bool:
    """Store the recording the request describes; False if it holds no audio."""
    url, seconds = params.get("RecordingUrl", ""), params.get("RecordingDuration", "")
    if not url or not seconds.isdigit() or int(seconds) == 0:
        return False
    call.recording_url = url[:500]
    call.recording_sid = params.get("RecordingSid", "")[:64] or call.recording_sid
    call.recording_seconds = int(seconds)
    return True


def recorded(call_id: int, params: Mapping[str, str]) -> Reply:
    """The caller's voicemail is recorded: keep it, thank them, notify the seller."""
    call = call_of(call_id, params)
    if call is None:
        return UNKNOWN_CALL
    texts = account_texts(call)
    if not keep_recording(call, params):
        db.session.commit()
        return twiml_reply(twiml.say_then_hang_up(texts["nothing_heard"], texts))
    if move_outcome(call, CallbackOutcome.VOICEMAIL_LEFT) and call.ended_at is not None:
        events.callback_received(call)  # the outcome changed after the end was reported
    db.session.commit()
    voicemails.request_copy(call)
    request_notification(call)
    return twiml_reply(twiml.say_then_hang_up(texts["thanks"], texts))


def recording_ready(call_id: int, params: Mapping[str, str]) -> Reply:
    """The recording's file is ready (its status callback): the same facts, kept if missed."""
    call = call_of(call_id, params)
    if call is None:
        return UNKNOWN_CALL
    if params.get("RecordingStatus", "completed") == "completed" and keep_recording(call, params):
        newly = move_outcome(call, CallbackOutcome.VOICEMAIL_LEFT)
        if newly and call.ended_at is not None:
            events.callback_received(call)  # the outcome changed after the end was reported
        db.session.commit()
        if newly:
            voicemails.request_copy(call)
            request_notification(call)
    return 204, "text/plain", ""


def call_ended(params: Mapping[str, str]) -> Reply:
    """The number's status callback: the callback is over. Without an outcome yet the caller
    gave up; if no one took the call, the seller learns they missed it."""
    call = db.session.scalar(
        select(InboundCall).where(InboundCall.call_sid == params.get("CallSid", ""))
    )
    if call is None:
        return UNKNOWN_CALL
    if params.get("CallStatus") not in {"completed", "busy", "failed", "no-answer", "canceled"}:
        return 204, "text/plain", ""
    ending = call.ended_at is None  # the first report of its end: counted once
    if ending:
        call.ended_at = utcnow()
        duration = params.get("CallDuration", "")
        call.duration_seconds = int(duration) if duration.isdigit() else None
    missed = call.outcome is None
    move_outcome(call, CallbackOutcome.ABANDONED)
    if ending:
        events.callback_received(call)
    db.session.commit()
    if ending:
        count(CALLBACKS_ENDED, call.outcome.value)
    if missed:
        request_notification(call)
    return 204, "text/plain", ""


def request_notification(call: InboundCall) -> None:
    """Tell the seller (or the account's managers) about a callback they did not take: one
    notification per callback and kind (the job checks what was sent). At best: the call's
    facts are committed, so Redis being down must not make the webhook a 5xx (for the
    <Record> action, the caller would hear an application error)."""
    job_id = f"notify-callback-{call.id}-{kind_of(call)}"
    try:
        NOTIFY_MISSED_CALLBACK.enqueue(call.id, job_id=job_id)
    except (RedisError, OSError) as error:
        count(WAKEUPS_MISSED, "callback_notification")
        log.warning("callback %s: notification not queued (%s)", call.id, error)
