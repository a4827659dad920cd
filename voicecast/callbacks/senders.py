"""Who sellers' text messages come from. Twilio sends an SMS only from a sender able to: an
alphanumeric sender ID where the destination country takes them (one-way), a Messaging
Service (its own sender pool), or a number whose carrier capabilities say SMS. French numbers
never send: Twilio's France terms forbid application-to-person SMS from French mobiles, and
French geographic numbers cannot send at all (error 21606).

The account chooses (`Account.sms_sender`, checked when set: `sender_problem`); unset, the
first SMS-capable number of the account serves; with neither, no SMS goes and the callback
records why (`NO_SENDER`), for the manager to see."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from voicecast.extensions import db
from voicecast.i18n import account_locale
from voicecast.models import Account, PhoneNumber

ALPHANUMERIC = re.compile(r"^[A-Za-z0-9 ]*[A-Za-z][A-Za-z0-9 ]*$")
ALPHANUMERIC_MAX = 11
MESSAGING_SERVICE = re.compile(r"^MG[0-9a-fA-F]{32}$")
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
# The account's countries whose networks take alphanumeric sender IDs (Twilio's country
# guidelines); the US and Canada do not. Add a country once its guideline is checked.
ALPHANUMERIC_COUNTRIES = frozenset({"FR"})
# Numbers that may never send application-to-person SMS (see the module's docstring).
NO_A2P_PREFIXES = ("+33",)
# The API's pattern for `sms_sender`: each form, the limits no pattern says apart.
PATTERN = r"^(MG[0-9a-fA-F]{32}|\+[1-9][0-9]{1,14}|[A-Za-z0-9 ]*[A-Za-z][A-Za-z0-9 ]*)$"
NO_SENDER = "no_sms_sender"


@dataclass(frozen=True)
class Sender:
    """Where a message comes from: `from_` (a number or an alphanumeric ID) or a Messaging
    Service's sid."""

    from_: str | None = None
    messaging_service_sid: str | None = None

    def __str__(self) -> str:
        return self.from_ or self.messaging_service_sid or ""


def sms_capable(line: PhoneNumber) -> bool:
    """The carrier says the number sends SMS, and it is not a number barred from A2P."""
    return bool(line.sms_capable) and not line.number.startswith(NO_A2P_PREFIXES)


def account_line(account: Account, number: str) -> PhoneNumber | None:
    return db.session.scalar(
        select(PhoneNumber).where(
            PhoneNumber.account_id == account.id, PhoneNumber.number == number
        )
    )


def number_problem(account: Account, number: str) -> str | None:
    """Why the account's `number` cannot send its texts; None when it can."""
    line = account_line(account, number)
    if line is None:
        return f"{number} is not one of the account's numbers: register it first."
    if number.startswith(NO_A2P_PREFIXES):
        return (
            f"{number} is a French number: French numbers cannot send application-to-person "
            "SMS (Twilio error 21606). Use an alphanumeric sender ID (e.g. your garage's "
            "name, up to 11 characters) or a Messaging Service (MG...)."
        )
    if line.sms_capable is None:
        return (
            f"Twilio's capabilities of {number} were never read: run `voicecast numbers sync` "
            "first, or use a Messaging Service (MG...)."
        )
    if not line.sms_capable:
        return f"Twilio says {number} cannot send SMS: choose a number with SMS capability."
    return None


def sender_problem(account: Account, value: str) -> str | None:
    """Why `value` cannot be the account's SMS sender (what to give instead); None if fine."""
    if MESSAGING_SERVICE.match(value):
        return None
    if E164.match(value):
        return number_problem(account, value)
    if not ALPHANUMERIC.match(value):
        return (
            "Give an alphanumeric sender ID (letters, digits, spaces; a letter at least), a "
            "Messaging Service SID (MG and 32 hex digits) or one of the account's numbers in "
            "E.164 (+...)."
        )
    if len(value) > ALPHANUMERIC_MAX:
        return f"An alphanumeric sender ID is at most {ALPHANUMERIC_MAX} characters."
    if account.country not in ALPHANUMERIC_COUNTRIES:
        return (
            f"Alphanumeric sender IDs are not allowed in {account.country}: use a Messaging "
            "Service (MG...) or an SMS-capable number of the account."
        )
    return None


def as_sender(value: str) -> Sender:
    if MESSAGING_SERVICE.match(value):
        return Sender(messaging_service_sid=value)
    return Sender(from_=value)


def notification_sender(account: Account) -> Sender | None:
    """The sender of the account's texts: the one it chose, else its first SMS-capable number;
    None when it has neither (no text can go)."""
    if account.sms_sender:
        return as_sender(account.sms_sender)
    lines = db.session.scalars(
        select(PhoneNumber)
        .where(PhoneNumber.account_id == account.id, PhoneNumber.sms_capable.is_(True))
        .order_by(PhoneNumber.id)
    )
    line = next((line for line in lines if sms_capable(line)), None)
    return Sender(from_=line.number) if line is not None else None


# Why a notification was not sent, in the manager's words (English, French).
UNSENT_REASONS = {
    NO_SENDER: (
        "the account has no SMS sender: set an alphanumeric sender ID, a Messaging Service or "
        "an SMS-capable number (PATCH /api/v1/account sms_sender)",
        "le compte n'a pas d'expéditeur de SMS : choisissez un nom d'expéditeur, un service de "
        "messagerie ou un numéro capable d'envoyer des SMS",
    ),
    "sender_cannot_send": (
        "the carrier refused the sender (it cannot send SMS)",
        "l'opérateur a refusé l'expéditeur (il ne peut pas envoyer de SMS)",
    ),
    "carrier_refused": (
        "the carrier refused the message",
        "l'opérateur a refusé le message",
    ),
}


def unsent_reason(code: str, country: str | None) -> str:
    """The words for an unsent notification's `code`, in the account's language."""
    english, french = UNSENT_REASONS.get(code, UNSENT_REASONS["carrier_refused"])
    return french if account_locale(country) == "fr" else english
