"""The call-back link of a seller's missed-callback text: `/cb/<call id>.<signature>`.

Short (the text keeps to one segment: it is no longer than the voicemail link it replaced,
with its words), signed (72 bits of HMAC-SHA256 over the account, the callback and its seller,
under SECRET_KEY and a salt of its own, so a voicemail link is no call-back link; guessing one
at a thousand tries a second for its 72 hours succeeds once in 2^44), expiring
(CALL_BACK_LINK_HOURS after the callback), and good for one account:
the callback it names is loaded by id and the signature checked with that callback's own
account and seller, so a link cannot be turned to another account's call. The link is its own
authorisation (a phone's browser has no session): `observability/redaction.py` keeps `/cb/...`
out of the logs."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from flask import current_app

from voicecast.constant_time import same_secret
from voicecast.extensions import db
from voicecast.follow_through.wording import texts_for
from voicecast.media.public_urls import public_url
from voicecast.models import InboundCall

SALT = "call-back-link"


class LinkRefused(Exception):
    """The link does not open: `reason` is "forged" or "expired"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def signature(call: InboundCall) -> str:
    """12 URL-safe characters binding the callback to its account and seller."""
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{SALT}:{call.account_id}:{call.id}:{call.seller_id}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:9]).decode()


def token_of(call: InboundCall) -> str:
    return f"{call.id}.{signature(call)}"


def link_of(call: InboundCall) -> str:
    """The absolute link for the seller's text."""
    return public_url("call_back_pages.page", token=token_of(call))


def expires_at(call: InboundCall) -> datetime:
    return call.started_at + timedelta(hours=current_app.config["CALL_BACK_LINK_HOURS"])


def call_of_token(token: str, now: datetime) -> InboundCall:
    """The callback the link names; `LinkRefused` when forged (no such call, a signature that
    is not its own) or expired."""
    number, _, sent = token.partition(".")
    known = number.isdigit() and len(number) < 12
    call = db.session.get(InboundCall, int(number)) if known else None
    if call is None or call.seller_id is None or not same_secret(signature(call), sent):
        raise LinkRefused("forged")
    if expires_at(call) <= now:
        raise LinkRefused("expired")
    return call


def call_back_ending(call: InboundCall, country: str | None) -> str:
    """The end of the seller's missed-callback text: the voicemail's length if one was left,
    and the call-back link."""
    texts = texts_for(country)
    if call.recording_url:
        return texts["sms_voicemail"].format(seconds=call.recording_seconds, link=link_of(call))
    return texts["sms_no_voicemail"].format(link=link_of(call))
