"""A prerecorded drop that reaches a person, where the law asks for it (US: 47 CFR
64.1200(b)): the business is identified at the start, with a number to call back, and a key
(OPT_OUT_KEY, 9 by default) offered throughout the message puts the number on the account's
do-not-call list at once, confirmed by voice before the call ends.

What a person hears is the call's first document (`amd.first_document`): the identification
spoken (<Say>, in the account's language), then the message, both inside a `<Gather
numDigits="1">` whose action is `/twilio/attempts/<id>/optout` (`on_key`). The identification
is spoken rather than recorded because what it says must be true of this very call: the
number it gives is the one the call comes from (the seller's callback line or the account's,
which the callbacks route), and the business's name is the account's; a recording made once
would go stale when either changes, and a seller's own message cannot be trusted to say them.
A machine hears this document too, during its greeting, which it does not record: its verdict
redirects the call to the voicemail message as before (a mailbox presses nothing).

The key's webhook is idempotent: the list keeps a number once (the `opt_out` event is written
only when it was added), the attempt's `opted_out_at` is set once, and a repeated request
gets the same confirmation.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from flask import current_app

from voicecast.callbacks.twiml import say_then_hang_up
from voicecast.callbacks.wording import opt_out_key, spoken_digits, texts_for
from voicecast.delivery.calls import message_for
from voicecast.extensions import db
from voicecast.media.public_urls import public_url
from voicecast.media.signing import media_url
from voicecast.models import Account, Attempt, Campaign, Delivery
from voicecast.models.base import utcnow
from voicecast.models.campaign import HumanPolicy
from voicecast.rules import do_not_call

# Accounts whose drops identify the business and offer the opt-out key to a person. Only the
# US for now: French rules ask the message itself to identify the business and say how to
# object (`../shared/notes/compliance.md`).
COUNTRIES = frozenset({"US"})
# After the message, how long the person has to press the key before the call goes on.
KEY_WAIT_S = 3


def applies(country: str | None) -> bool:
    """Whether a person who answers an account of `country` hears the identification and the
    opt-out key."""
    return (country or "").upper() in COUNTRIES


def intro(business: str, number: str, country: str | None) -> str:
    """The identification and the offer, spoken before the message."""
    return intro_for(business, number, country, opt_out_key())


@lru_cache(maxsize=1024)
def intro_for(business: str, number: str, country: str | None, key: str) -> str:
    """`intro`, kept: an account's calls all say the same few (reading and writing the number
    again cost a US answer webhook 1.4 ms, more than the rest of it)."""
    spoken = spoken_digits(number, country) if number else ""
    return texts_for(country)["drop_intro"].format(business=business, number=spoken, key=key)


def person_document(
    message_url: str, held_url: str, attempt_id: int, spoken: str, country: str | None
) -> str:
    """`spoken`, then the message, inside a one-key Gather whose key goes to `on_key`; after
    the message and `KEY_WAIT_S`, `held_url` decides what follows (`amd.held_twiml`).
    Written out, as `amd.first_document` is (twilio's VoiceResponse cost an answer 1 ms)."""
    language = texts_for(country)["voice"]
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Gather action="{attribute(key_url(attempt_id))}" method="POST" numDigits="1"'
        f' timeout="{KEY_WAIT_S}"><Say language="{language}">{escape(spoken)}</Say>'
        f"<Play>{escape(message_url)}</Play></Gather>"
        f'<Redirect method="POST">{escape(held_url)}</Redirect></Response>'
    )


def key_url(attempt_id: int) -> str:
    """`/twilio/attempts/<id>/optout` (routes.opt_out) under PUBLIC_BASE_URL, written out
    (the URL map costs an answer 0.2 ms)."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/twilio/attempts/{attempt_id}/optout"


def escape(text: str) -> str:
    """`text` as an XML element's content (the TwiML written out here and in `amd`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attribute(text: str) -> str:
    return escape(text).replace('"', "&quot;")


def on_key(attempt_id: int, params: Mapping[str, str]) -> str | None:
    """A key pressed during the message of the attempt's call: the opt-out key puts the number
    on the do-not-call list, records it on the attempt and confirms; another key plays the
    message again with the offer. None for an unknown attempt, or a call that is not its own.
    Commits."""
    attempt = db.session.get(Attempt, attempt_id)
    sid = params.get("CallSid") or None
    if attempt is None or (sid and attempt.call_sid and sid != attempt.call_sid):
        return None
    delivery = db.session.get(Delivery, attempt.delivery_id)
    campaign = db.session.get(Campaign, attempt.campaign_id)
    account = db.session.get(Account, campaign.account_id)
    texts = texts_for(account.country)
    key = opt_out_key()
    if params.get("Digits") != key:
        return again(attempt, delivery, campaign, account.country)
    reason = texts["drop_opt_out_reason"].format(
        key=key, campaign=campaign.name, sid=sid or attempt.call_sid or "?"
    )
    do_not_call.add(account.id, delivery.phone, do_not_call.OPT_OUT_KEY_SOURCE, reason, campaign.id)
    if attempt.opted_out_at is None:
        attempt.opted_out_at = utcnow()
    db.session.commit()
    return say_then_hang_up(texts["drop_opted_out"], texts)


def again(attempt: Attempt, delivery: Delivery, campaign: Campaign, country: str) -> str:
    """Another key than the opt-out one cut the message: the offer, and the message again
    (a message deleted meanwhile: the offer alone, then the end of the call)."""
    recording = message_for(delivery, live=campaign.human_policy == HumanPolicy.PLAY_LIVE)
    held_url = public_url("twilio.held", attempt_id=attempt.id)
    db.session.commit()
    texts = texts_for(country)
    offer = texts["drop_offer"].format(key=opt_out_key())
    if recording is None:
        return say_then_hang_up(offer, texts)
    return person_document(media_url(recording, "carrier"), held_url, attempt.id, offer, country)
