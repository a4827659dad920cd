"""What callers and sellers hear, and the seller's text message, in the account's language
(French for French accounts, English otherwise)."""

from __future__ import annotations

from voicecast.i18n import account_locale
from voicecast.phones import for_people

OPT_OUT_KEY = "9"
ACCEPT_KEY = "1"

TEXTS = {
    "fr": {
        "voice": "fr-FR",
        "connecting": "Bonjour, nous vous mettons en relation avec {seller}. "
        "Pour ne plus recevoir nos messages, tapez 9.",
        "connecting_desk": "Bonjour, nous vous mettons en relation. "
        "Pour ne plus recevoir nos messages, tapez 9.",
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
    },
    "en": {
        "voice": "en-US",
        "connecting": "Hello, we are putting you through to {seller}. "
        "To stop receiving our messages, press 9.",
        "connecting_desk": "Hello, we are putting you through. "
        "To stop receiving our messages, press 9.",
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
    },
}


def texts_for(country: str | None) -> dict[str, str]:
    return TEXTS[account_locale(country)]


def spoken_number(number: str, country: str | None = None) -> str:
    """A number as people say it: national form, digits in groups."""
    return for_people(number, country)


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
