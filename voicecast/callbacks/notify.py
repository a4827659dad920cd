"""Telling a seller about a callback they did not take: who called, from which campaign, and a
link to the voicemail. How the message travels is pluggable (`NOTIFIERS`, chosen by the
CALLBACK_NOTIFIER setting): SMS through the carrier today, email can follow."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from typing import Protocol

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from voicecast.callbacks import sms
from voicecast.callbacks.senders import NO_SENDER, Sender, notification_sender, unsent_reason
from voicecast.callbacks.wording import contact_name, spoken_number, texts_for
from voicecast.carrier import carrier_client
from voicecast.carrier.errors import PermanentCarrierError
from voicecast.extensions import db
from voicecast.follow_through.links import call_back_ending
from voicecast.i18n import date_locale, local_time
from voicecast.media.public_urls import public_url
from voicecast.models import Account, Campaign, Contact, InboundCall, Role, User
from voicecast.models.base import utcnow

SALT = "voicemail-link"
UNSENT = "not sent: "
SENDER_CANNOT_SEND = 21606  # Twilio: the From cannot send SMS


class Notifier(Protocol):
    def send(self, to: str, sender: Sender, text: str) -> str:
        """Deliver `text` to the person at `to` from the account's `sender`; returns a
        reference of what was sent. Raises `CarrierError` when it cannot go."""
        ...


class SmsNotifier:
    """A text message through the carrier, from the account's SMS sender (`senders.py`)."""

    def send(self, to: str, sender: Sender, text: str) -> str:
        carrier = carrier_client()
        sid = carrier.send_sms(
            to=to,
            body=text,
            from_=sender.from_,
            messaging_service_sid=sender.messaging_service_sid,
        )
        return "sms:" + sid


NOTIFIERS: dict[str, type[Notifier]] = {"sms": SmsNotifier}


def configured_notifier() -> Notifier:
    name = current_app.config["CALLBACK_NOTIFIER"]
    if name not in NOTIFIERS:
        raise ValueError(f"CALLBACK_NOTIFIER={name!r}: use one of {', '.join(NOTIFIERS)}")
    return NOTIFIERS[name]()


def link_signature(call_id: int) -> str:
    """16 URL-safe characters (96 bits of HMAC-SHA256) proving we made the link: short, so
    the text message keeps to one segment."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"{SALT}:{call_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


def voicemail_token(call_id: int) -> str:
    return f"{call_id}.{link_signature(call_id)}"


def call_of_token(token: str) -> InboundCall | None:
    """The callback a voicemail link names; None when forged, or expired (the link works
    VOICEMAIL_LINK_DAYS after the call). Links sent before the short form still work."""
    number, _, signature = token.partition(".")
    if number.isdigit() and hmac.compare_digest(signature, link_signature(int(number))):
        call_id: object = int(number)
    else:
        call_id = legacy_call_id(token)
    call = db.session.get(InboundCall, call_id) if isinstance(call_id, int) else None
    days = timedelta(days=current_app.config["VOICEMAIL_LINK_DAYS"])
    if call is None or call.started_at + days < utcnow():
        return None
    return call


def legacy_call_id(token: str) -> object:
    """The call id of a link of the earlier, longer form (itsdangerous), None if forged."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)
    try:
        return serializer.loads(token)
    except BadSignature:
        return None


def recipients(call: InboundCall) -> list[str]:
    """The seller's phone; without a seller, the phones of the account's managers."""
    if call.seller_id is not None:
        seller = db.session.get(User, call.seller_id)
        return [seller.phone] if seller is not None and seller.phone else []
    stmt = select(User.phone).where(
        User.account_id == call.account_id,
        User.role.in_((Role.ADMIN, Role.MANAGER)),
        User.active.is_(True),
        User.phone.is_not(None),
    )
    return sorted(set(db.session.scalars(stmt)))


def notification_text(call: InboundCall) -> str:
    """The seller's text, in the account's language and in GSM-7: the caller (name and
    national number), the campaign, when, and the link to the call-back page (with the
    voicemail) for a seller, to the voicemail's page for the managers of a callback no seller
    was rung for. Details the
    page repeats (the campaign, then the name) are left out when that keeps it to one SMS."""
    account = db.session.get(Account, call.account_id)
    texts = texts_for(account.country)
    contact = db.session.get(Contact, call.contact_id) if call.contact_id else None
    number = spoken_number(call.from_number, account.country)
    name = contact_name(contact, call.from_number, account.country)
    callers = [f"{name} ({number})", number] if name != number else [number]
    campaign = db.session.get(Campaign, call.campaign_id) if call.campaign_id else None
    abouts = [texts["sms_campaign"].format(campaign=campaign.name), ""] if campaign else [""]
    when = local_time(call.started_at, account.timezone, "short", date_locale(account.country))
    if call.seller_id is not None:  # the seller's text leads to the call-back page
        end = call_back_ending(call, account.country)
    elif call.recording_url:
        link = public_url("inbound_pages.voicemail", token=voicemail_token(call.id))
        end = texts["sms_voicemail"].format(seconds=call.recording_seconds, link=link)
    else:
        end = texts["sms_no_voicemail"]
    wordings = [
        texts["sms_missed"].format(caller=caller, campaign=about, when=when) + end
        for caller in callers
        for about in abouts
    ]
    return sms.fitting(wordings)


def kind_of(call: InboundCall) -> str:
    return "voicemail" if call.recording_url else "missed"


def already_told(call: InboundCall) -> bool:
    """The seller knows all there is: the voicemail, or that the caller left none."""
    return call.notified_kind == "voicemail" or call.notified_kind == kind_of(call)


def notify_missed_callback(call_id: int) -> str:
    """Tell of callback `call_id` once: a repeated run sends nothing, but a voicemail that
    arrives after a "no message" notification (the carrier's requests race) is still sent."""
    call = db.session.get(InboundCall, call_id)
    if call is None or already_told(call):
        return "nothing to send"
    people = recipients(call)
    sender = notification_sender(db.session.get(Account, call.account_id))
    if people and sender is None:
        sent = [UNSENT + NO_SENDER]
    else:
        text = notification_text(call)
        notifier = configured_notifier()
        sent = [send_one(notifier, person, sender, text) for person in people]
    call.notified_kind = kind_of(call)
    told = not sent or any(not line.startswith(UNSENT) for line in sent)
    call.notified_at = utcnow() if told else None  # the seller was told nothing
    call.notification = (", ".join(sent) or "nobody to notify")[:200]
    db.session.commit()
    return call.notification


def send_one(notifier: Notifier, person: str, sender: Sender, text: str) -> str:
    """What became of the text to `person`: its reference, or "not sent: <reason>" when the
    carrier refused it for good (a busy carrier raises: the job runs again)."""
    try:
        return notifier.send(person, sender, text)
    except PermanentCarrierError as error:
        reason = "sender_cannot_send" if error.code == SENDER_CANNOT_SEND else "carrier_refused"
        return f"{UNSENT}{reason} ({error.code or error.reason})"


def unsent_words(call: InboundCall, country: str | None) -> str | None:
    """Why the seller was not told of `call`, in the account's language; None if they were
    (or nothing was tried yet)."""
    if not call.notification or UNSENT not in call.notification:
        return None
    code = call.notification.split(UNSENT, 1)[1].split(" ", 1)[0].rstrip(",")
    return unsent_reason(code, country)
