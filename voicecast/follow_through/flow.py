"""A call back's webhooks, from the seller's pick-up to the end of their leg. Each is
idempotent (Twilio may send a request twice) and the outcome only moves up
(`CallBackOutcome.rank`): `answered` (AMD's verdict on the seller's phone: a person hears the
whisper, a machine is hung up on), `key` (1 dials the customer, if the rules still allow it),
`dialed` (the customer's leg ended: reached or not), `status` (the seller's leg ended).

Every function takes the call back's id and the webhook's parameters and answers (HTTP
status, content type, body), as `voicecast.callbacks.flow` does."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flask import current_app

from voicecast.callbacks.wording import ACCEPT_KEY
from voicecast.extensions import db
from voicecast.follow_through import twiml
from voicecast.follow_through.models import CallBack, CallBackOutcome
from voicecast.follow_through.rules import refusal, refusal_code
from voicecast.follow_through.wording import texts_for
from voicecast.follow_through.words import customer_of, refusal_words
from voicecast.models import Account, InboundCall
from voicecast.models.base import utcnow

Reply = tuple[int, str, str]
TWIML = "text/xml"
UNKNOWN: Reply = (404, "text/plain", "Unknown call back.\n")
NOTHING: Reply = (204, "text/plain", "")
STEP_NAMES = ("answered", "key", "dialed", "status")
MACHINE_PREFIXES = ("machine", "fax")
REACHED_STATUSES = {"completed", "answered"}
FINAL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}


def hook_url(call_back_id: int, step: str) -> str:
    """A step's webhook URL under PUBLIC_BASE_URL (`webhooks.py` serves it)."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/twilio/call-backs/{call_back_id}/{step}"


def call_back_of(call_back_id: int, params: Mapping[str, str]) -> CallBack | None:
    """The call back, if the request is about its seller's leg. The carrier may ask for the
    first document before the placing request stored the sid: the first sid seen is kept."""
    row = db.session.get(CallBack, call_back_id)
    sid = params.get("CallSid", "")
    if row is None or not sid:
        return None
    if row.seller_call_sid is None:
        row.seller_call_sid = sid[:64]
    return row if row.seller_call_sid == sid else None


def country_of(row: CallBack) -> str:
    return db.session.get(Account, row.account_id).country


def answered(call_back_id: int, params: Mapping[str, str]) -> Reply:
    """The seller's phone picked up: a machine is hung up on, a person hears the whisper."""
    row = call_back_of(call_back_id, params)
    if row is None:
        return UNKNOWN
    db.session.commit()
    if params.get("AnsweredBy", "").startswith(MACHINE_PREFIXES):
        return 200, TWIML, twiml.hang_up()
    country = country_of(row)
    texts = texts_for(country)
    text = texts["whisper"].format(customer=customer_of(row, country))
    return 200, TWIML, twiml.whisper(text, texts["voice"], hook_url(row.id, "key"))


def key(call_back_id: int, params: Mapping[str, str]) -> Reply:
    """The seller's key: 1 dials the customer unless a rule now refuses (the do-not-call list
    may have grown, the hours may have closed); any other key hangs up."""
    row = call_back_of(call_back_id, params)
    if row is None:
        return UNKNOWN
    if params.get("Digits") != ACCEPT_KEY:
        db.session.commit()
        return 200, TWIML, twiml.hang_up()
    now = utcnow()
    row.seller_answered_at = row.seller_answered_at or now
    call = db.session.get(InboundCall, row.inbound_call_id)
    refused = refusal(call, now)
    country = country_of(row)
    if refused is not None and row.customer_dialed_at is None:
        row.move_to(CallBackOutcome.REFUSED)
        row.refusal = refusal_code(refused)
        db.session.commit()
        texts = texts_for(country)
        customer = customer_of(row, country)
        reason = refusal_words(row.refusal, customer, country, refused.zone)
        text = texts["not_now"].format(customer=customer, reason=reason[:1].upper() + reason[1:])
        return 200, TWIML, twiml.say_then_hang_up(text, texts["voice"])
    row.customer_dialed_at = row.customer_dialed_at or now
    db.session.commit()
    document = twiml.dial_customer(row.customer_number, row.from_number, hook_url(row.id, "dialed"))
    return 200, TWIML, document


def dialed(call_back_id: int, params: Mapping[str, str]) -> Reply:
    """The customer's leg is over: answered (with how long they talked) or not."""
    row = call_back_of(call_back_id, params)
    if row is None:
        return UNKNOWN
    status = params.get("DialCallStatus", "")
    row.customer_call_sid = params.get("DialCallSid", "")[:64] or row.customer_call_sid
    if status in REACHED_STATUSES:
        duration = params.get("DialCallDuration", "")
        row.talk_seconds = int(duration) if duration.isdigit() else row.talk_seconds
        row.move_to(CallBackOutcome.REACHED)
    else:
        row.move_to(CallBackOutcome.NO_ANSWER)
    db.session.commit()
    return 200, TWIML, twiml.hang_up()


def status(call_back_id: int, params: Mapping[str, str]) -> Reply:
    """The seller's leg ended: without their 1 the seller did not answer; with it and no word
    from the customer's leg (its report lost), the customer counts as not reached."""
    row = call_back_of(call_back_id, params)
    if row is None:
        return UNKNOWN
    if params.get("CallStatus") not in FINAL_STATUSES:
        db.session.commit()
        return NOTHING
    end_seller_leg(row, utcnow())
    db.session.commit()
    return NOTHING


def end_seller_leg(row: CallBack, now: datetime) -> None:
    """The seller's leg is over (its status callback, or the carrier asked by
    `reconcile.settle_lost_call_backs`): without their 1 the seller did not answer; with it
    and no word from the customer's leg (its report lost), the customer counts as not
    reached. An outcome the Dial's action gave stands (it only moves up)."""
    row.ended_at = row.ended_at or now
    if row.seller_answered_at is None:
        row.move_to(CallBackOutcome.SELLER_NO_ANSWER)
    else:
        row.move_to(CallBackOutcome.NO_ANSWER)
