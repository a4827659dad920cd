"""Telling a seller about a callback they did not take: who called, from which campaign, and a
link to the voicemail. How the message travels is pluggable (`NOTIFIERS`, chosen by the
CALLBACK_NOTIFIER setting): SMS through the carrier today, email can follow."""

from __future__ import annotations

from typing import Protocol

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from voicecast.callbacks.wording import contact_name, local_time, texts_for
from voicecast.carrier import carrier_client
from voicecast.extensions import db
from voicecast.media.public_urls import public_url
from voicecast.models import Account, Campaign, Contact, InboundCall, Role, User
from voicecast.models.base import utcnow

SALT = "voicemail-link"


class Notifier(Protocol):
    def send(self, to: str, sender: str, text: str) -> str:
        """Deliver `text` to the person at `to` (from our number `sender`); returns a
        reference of what was sent."""
        ...


class SmsNotifier:
    """A text message through the carrier, from the number the customer called."""

    def send(self, to: str, sender: str, text: str) -> str:
        return "sms:" + carrier_client().send_sms(to=to, from_=sender, body=text)


NOTIFIERS: dict[str, type[Notifier]] = {"sms": SmsNotifier}


def configured_notifier() -> Notifier:
    name = current_app.config["CALLBACK_NOTIFIER"]
    if name not in NOTIFIERS:
        raise ValueError(f"CALLBACK_NOTIFIER={name!r}: use one of {', '.join(NOTIFIERS)}")
    return NOTIFIERS[name]()


def voicemail_token(call_id: int) -> str:
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)
    return serializer.dumps(call_id)


def call_of_token(token: str) -> int | None:
    """The callback a voicemail link names, None when forged or expired."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)
    max_age = current_app.config["VOICEMAIL_LINK_DAYS"] * 86400
    try:
        call_id = serializer.loads(token, max_age=max_age)
    except BadSignature:
        return None
    return call_id if isinstance(call_id, int) else None


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
    account = db.session.get(Account, call.account_id)
    texts = texts_for(account.country)
    contact = db.session.get(Contact, call.contact_id) if call.contact_id else None
    who = contact_name(contact, call.from_number)
    if contact is not None and (contact.first_name or contact.last_name):
        who += f" ({call.from_number})"
    campaign = db.session.get(Campaign, call.campaign_id) if call.campaign_id else None
    about = texts["sms_campaign"].format(campaign=campaign.name) if campaign else ""
    when = local_time(call.started_at, account.timezone, texts)
    text = texts["sms_missed"].format(caller=who, campaign=about, when=when)
    if call.recording_url:
        link = public_url("inbound_pages.voicemail", token=voicemail_token(call.id))
        return text + texts["sms_voicemail"].format(seconds=call.recording_seconds, link=link)
    return text + texts["sms_no_voicemail"]


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
    text = notification_text(call)
    notifier = configured_notifier()
    sent = [notifier.send(person, call.to_number, text) for person in people]
    call.notified_kind = kind_of(call)
    call.notified_at = utcnow()
    call.notification = (", ".join(sent) or "nobody to notify")[:200]
    db.session.commit()
    return call.notification
