"""What callers and sellers hear, and the seller's text message, in the account's language
(French for French accounts, English otherwise)."""

from __future__ import annotations

from flask import current_app

from voicecast.i18n import account_locale
from voicecast.phones import for_people

ACCEPT_KEY = "1"

TEXTS = {
    "fr": {
        "voice": "fr-FR",
        "connecting": "Bonjour, nous vous mettons en relation avec {seller}. "
        "Pour ne plus recevoir nos messages, tapez {key}.",
        "connecting_desk": "Bonjour, nous vous mettons en relation. "
        "Pour ne plus recevoir nos messages, tapez {key}.",
        "opted_out": "C'est noté : vous ne recevrez plus nos messages. Au revoir.",
        "whisper": "Rappel de {caller}{campaign}. Appuyez sur 1 pour prendre l'appel.",
        "whisper_campaign": ", campagne {campaign}",
        "drop_whisper": "{caller} a décroché, campagne {campaign}. "
        "Appuyez sur 1 pour prendre l'appel.",
        "voicemail": "{seller} n'est pas disponible. Laissez votre message après le bip.",
        "voicemail_desk": "Nous ne pouvons pas vous répondre. Laissez votre message après le bip.",
        "thanks": "Merci, votre message a bien été transmis. Au revoir.",
        "nothing_heard": "Nous n'avons pas entendu de message. Au revoir.",
        "unknown_number": "Ce numéro n'est pas attribué. Au revoir.",
        "sms_missed": "Rappel manqué de {caller}{campaign}, {when}.",
        "sms_voicemail": " Message ({seconds} s) : {link}",
        "sms_no_voicemail": " Pas de message laissé.",
        "sms_campaign": ", campagne {campaign}",
        "opt_out_reason": "A tapé {key} en rappelant le {number} (appel {sid}).",
        "drop_intro": "Ceci est un message de {business}. Pour nous rappeler, composez le "
        "{number}. Pour ne plus recevoir nos appels, tapez {key} à tout moment.",
        "drop_offer": "Pour ne plus recevoir nos appels, tapez {key}.",
        "drop_opted_out": "C'est noté : votre numéro est inscrit sur notre liste d'opposition, "
        "vous ne recevrez plus nos appels. Au revoir.",
        "drop_opt_out_reason": "A tapé {key} pendant le message de la campagne {campaign} "
        "(appel {sid}).",
    },
    "en": {
        "voice": "en-US",
        "connecting": "Hello, we are putting you through to {seller}. "
        "To stop receiving our messages, press {key}.",
        "connecting_desk": "Hello, we are putting you through. "
        "To stop receiving our messages, press {key}.",
        "opted_out": "Done: you will not receive our messages any more. Goodbye.",
        "whisper": "Callback from {caller}{campaign}. Press 1 to take the call.",
        "whisper_campaign": ", campaign {campaign}",
        "drop_whisper": "{caller} picked up, campaign {campaign}. Press 1 to take the call.",
        "voicemail": "{seller} is not available. Please leave your message after the beep.",
        "voicemail_desk": "We cannot take your call. Please leave your message after the beep.",
        "thanks": "Thank you, your message has been passed on. Goodbye.",
        "nothing_heard": "We did not hear a message. Goodbye.",
        "unknown_number": "This number is not in service. Goodbye.",
        "sms_missed": "Missed callback from {caller}{campaign}, {when}.",
        "sms_voicemail": " Voicemail ({seconds} s): {link}",
        "sms_no_voicemail": " No message left.",
        "sms_campaign": ", campaign {campaign}",
        "opt_out_reason": "Pressed {key} when calling back {number} (call {sid}).",
        "drop_intro": "This is a message from {business}. To call us back, dial {number}. "
        "To stop these calls, press {key} at any time.",
        "drop_offer": "To stop these calls, press {key}.",
        "drop_opted_out": "Your number is now on our do-not-call list: you will not get these "
        "calls any more. Goodbye.",
        "drop_opt_out_reason": "Pressed {key} during the message of campaign {campaign} "
        "(call {sid}).",
    },
}


def opt_out_key() -> str:
    """The key that puts the caller's number on the do-not-call list (OPT_OUT_KEY)."""
    return current_app.config.get("OPT_OUT_KEY", "9")


def texts_for(country: str | None) -> dict[str, str]:
    return TEXTS[account_locale(country)]


def spoken_number(number: str, country: str | None = None) -> str:
    """A number as people say it: national form, digits in groups."""
    return for_people(number, country)


def spoken_digits(number: str, country: str | None = None) -> str:
    """A number for a speech synthesiser: digit by digit, a pause between the groups people
    write ("(213) 555-0143" is said "2 1 3, 5 5 5, 0 1 4 3", never "two hundred thirteen")."""
    groups, group = [], []
    for char in spoken_number(number, country):
        if char.isdigit():
            group.append(char)
        elif group:
            groups.append(" ".join(group))
            group = []
    if group:
        groups.append(" ".join(group))
    return ", ".join(groups)


def caller_name(
    first_name: str | None, last_name: str | None, number: str, country: str | None = None
) -> str:
    """The contact's name, else their number as spoken."""
    name = " ".join(part for part in (first_name, last_name) if part)
    return name or spoken_number(number, country)


def contact_name(contact, number: str, country: str | None = None) -> str:
    """`caller_name` of a contact (None: an unknown caller, named by their number)."""
    if contact is None:
        return spoken_number(number, country)
    return caller_name(contact.first_name, contact.last_name, number, country)
