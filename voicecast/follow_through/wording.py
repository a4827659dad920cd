"""What the seller reads and hears of a call back, in the account's language (French for
French accounts, English otherwise): the text's ending, the page, the whisper, the outcome."""

from __future__ import annotations

from voicecast.i18n import account_locale

TEXTS = {
    "fr": {
        "voice": "fr-FR",
        "sms_voicemail": " Message ({seconds} s). Rappeler : {link}",
        "sms_no_voicemail": " Pas de message. Rappeler : {link}",
        "title": "Rappeler {customer}",
        "missed": "Rappel manqué",
        "called": "A appelé le {when} ({zone}).",
        "campaign": "Campagne : {campaign}",
        "message": "Son message",
        "length": "Durée : {length}",
        "listen": "Écouter le message de {customer}",
        "button": "Rappeler {customer}",
        "how": "Votre téléphone ({seller_phone}) sonne d'abord ; appuyez sur 1 et {customer} "
        "est appelé depuis le {number}, le numéro de la concession qu'il connaît.",
        "whisper": "Rappel de {customer}. Appuyez sur 1 pour l'appeler.",
        "not_now": "Impossible d'appeler {customer} maintenant. {reason} Au revoir.",
        "ringing": "Votre téléphone va sonner. Décrochez puis appuyez sur 1.",
        "in_progress": "Rappel en cours…",
        "refresh": "Actualiser",
        "again": "Rappeler de nouveau",
        "expired": "Ce lien de rappel a expiré. Rappelez le client depuis le téléphone de la "
        "concession.",
        "forged": "Ce lien de rappel n'est pas valide.",
        "outcome": {
            "reached": "{customer} a répondu ({talk}).",
            "no_answer": "{customer} n'a pas répondu.",
            "seller_no_answer": "Vous n'avez pas répondu (ou pas appuyé sur 1) : "
            "{customer} n'a pas été appelé.",
            "refused": "Rappel impossible : {reason}",
        },
        "refusal": {
            "do_not_call": "{customer} est sur la liste d'opposition du compte : il a demandé "
            "à ne plus être appelé.",
            "hours": "hors des heures d'appel de {customer} ({zone}) ; possible à partir du "
            "{opens}.",
            "holiday": "jour férié chez {customer} ({holiday}) ; possible à partir du {opens}.",
            "no_seller_phone": "aucun téléphone n'est renseigné pour vous : demandez à votre "
            "responsable de l'ajouter.",
            "seller_inactive": "votre compte vendeur est désactivé.",
            "carrier": "l'opérateur a refusé l'appel ({detail}).",
            "not_placed": "l'appel n'a jamais été passé (l'opérateur ne l'a pas reçu) : "
            "appuyez à nouveau sur le bouton.",
        },
    },
    "en": {
        "voice": "en-US",
        "sms_voicemail": " Voicemail ({seconds} s). Call back: {link}",
        "sms_no_voicemail": " No message left. Call back: {link}",
        "title": "Call {customer} back",
        "missed": "Missed callback",
        "called": "Called on {when} ({zone}).",
        "campaign": "Campaign: {campaign}",
        "message": "Their message",
        "length": "Length: {length}",
        "listen": "Listen to {customer}'s message",
        "button": "Call {customer} back",
        "how": "Your phone ({seller_phone}) rings first; press 1 and {customer} is called "
        "from {number}, the dealership's number they know.",
        "whisper": "Call back to {customer}. Press 1 to call them.",
        "not_now": "{customer} cannot be called now. {reason} Goodbye.",
        "ringing": "Your phone is about to ring. Pick up, then press 1.",
        "in_progress": "Calling back…",
        "refresh": "Refresh",
        "again": "Call back again",
        "expired": "This call-back link has expired. Call the customer from the dealership's "
        "phone.",
        "forged": "This call-back link is not valid.",
        "outcome": {
            "reached": "{customer} answered ({talk}).",
            "no_answer": "{customer} did not answer.",
            "seller_no_answer": "You did not answer (or did not press 1): {customer} was not "
            "called.",
            "refused": "Cannot call back: {reason}",
        },
        "refusal": {
            "do_not_call": "{customer} is on the account's do-not-call list: they asked not "
            "to be called.",
            "hours": "outside {customer}'s calling hours ({zone}); possible from {opens}.",
            "holiday": "a public holiday where {customer} lives ({holiday}); possible from "
            "{opens}.",
            "no_seller_phone": "no phone is set for you: ask your manager to add it.",
            "seller_inactive": "your seller account is deactivated.",
            "carrier": "the carrier refused the call ({detail}).",
            "not_placed": "the call was never placed (the carrier did not receive it): press "
            "the button again.",
        },
    },
}


def texts_for(country: str | None) -> dict:
    return TEXTS[account_locale(country)]
