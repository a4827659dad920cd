"""The English of the recording studio's French words (voicecast/studio/): its page, why a
recording was refused, a link that cannot be used."""

from __future__ import annotations

EN: dict[str, str] = {
    # The recording studio (studio/page.html).
    "Vos messages à enregistrer": "Your messages to record",
    "Message général": "General message",
    "Parcours « {journey} »": "Journey “{journey}”",
    "Pas de texte proposé : présentez-vous et dites pourquoi vous appelez.": (
        "No script given: introduce yourself and say why you are calling."
    ),
    "Votre message habituel, laissé à vos clients lors des campagnes.": (
        "Your usual message, left for your customers during campaigns."
    ),
    "Enregistré": "Recorded",
    "À enregistrer": "To record",
    "Enregistrer ce message": "Record this message",
    "À enregistrer maintenant : {name}": "Recording now: {name}",
    "Ce message n'est plus à enregistrer. Rechargez la page.": (
        "This message is no longer asked for. Reload the page."
    ),
    # The sellers page's journey recordings (dashboard/journey_recordings.html).
    "Messages de parcours pas encore enregistrés": "Journey messages not recorded yet",
    "Chaque vendeur les enregistre depuis son lien d'enregistrement.": (
        "Each seller records them from their recording link."
    ),
    "Étape": "Step",
    "Sans ce message": "Without this message",
    "son message général est joué": "their general message is played",
    "En attente : {count} contact(s), jusqu'au {date} (ensuite, pas d'appel pour cette étape)": (
        "Waiting: {count} contact(s), until {date} (then not called for this step)"
    ),
    "ses contacts attendront ce message": "their contacts will wait for this message",
    "Votre message": "Your message",
    "Bonjour {name} !": "Hello {name}!",
    "Enregistrez un court message personnel que vos clients entendront sur leur messagerie : "
    "entre {min_seconds} et {max_seconds} secondes.": (
        "Record a short personal message that your customers will hear on their voicemail: "
        "between {min_seconds} and {max_seconds} seconds."
    ),
    "Votre message actuel": "Your current message",
    "Écouter votre message actuel": "Listen to your current message",
    "Durée : {seconds} s": "Length: {seconds} s",
    "Un nouvel enregistrement le remplacera.": "A new recording will replace it.",
    "Enregistrer avec le micro": "Record with the microphone",
    "Parlez normalement, à une vingtaine de centimètres du micro. "
    "Commencez à parler juste après avoir appuyé.": (
        "Speak normally, about 20 centimetres from the microphone. "
        "Start speaking right after pressing."
    ),
    "Ce navigateur ne permet pas d'enregistrer. Choisissez un fichier audio ci-dessous.": (
        "This browser cannot record. Choose an audio file below."
    ),
    "Enregistrer": "Record",
    "Arrêter": "Stop",
    "Durée enregistrée": "Recorded time",
    "Niveau du micro": "Microphone level",
    "Réécoutez avant d'envoyer": "Listen before sending",
    "Votre enregistrement": "Your recording",
    "Envoyer ce message": "Send this message",
    "Recommencer": "Record again",
    "Ou envoyer un fichier": "Or send a file",
    "Fichier audio (au plus {max_megabytes} Mo)": "Audio file (at most {max_megabytes} MB)",
    "Envoyer le fichier": "Send the file",
    "Votre message est prêt": "Your message is ready",
    "Voici la version que vos clients entendront au téléphone.": (
        "This is the version your customers will hear on the phone."
    ),
    "Écouter la version téléphone": "Listen to the telephone version",
    "Traitement en cours…": "Processing…",
    "Envoi en cours…": "Sending…",
    "Enregistrement… Parlez maintenant.": "Recording… Speak now.",
    "Enregistrement terminé. Réécoutez-le, puis envoyez-le ou recommencez.": (
        "Recording finished. Listen to it, then send it or record again."
    ),
    "Votre message est prêt. Il sera utilisé pour vos prochains appels.": (
        "Your message is ready. It will be used for your next calls."
    ),
    "Ce message n'a pas été accepté.": "This message was not accepted.",
    "Le micro n'est pas accessible. Autorisez-le dans votre navigateur, "
    "ou choisissez un fichier audio.": (
        "The microphone is not available. Allow it in your browser, or choose an audio file."
    ),
    "L'envoi a échoué. Vérifiez votre connexion, puis réessayez.": (
        "Sending failed. Check your connection, then try again."
    ),
    "Une erreur est survenue. Réessayez dans un instant.": (
        "Something went wrong. Try again in a moment."
    ),
    "Durée maximale atteinte : l'enregistrement s'est arrêté.": (
        "Maximum length reached: recording stopped."
    ),
    "Fichier choisi : {name}": "File chosen: {name}",
    "Le traitement prend plus de temps que prévu. Revenez sur cette page dans quelques minutes.": (
        "Processing is taking longer than expected. Come back to this page in a few minutes."
    ),
    "Votre session a expiré. Rechargez la page, puis réessayez.": (
        "Your session expired. Reload the page, then try again."
    ),
    # Why a recording was refused (studio/messages.py).
    "Ce fichier n'est pas un enregistrement audio lisible. Enregistrez à nouveau, "
    "ou choisissez un fichier audio (webm, mp3, m4a, wav, ogg).": (
        "This file is not a readable audio recording. Record again, "
        "or choose an audio file (webm, mp3, m4a, wav, ogg)."
    ),
    "Le fichier est trop volumineux. Enregistrez un message plus court.": (
        "The file is too large. Record a shorter message."
    ),
    "Nous n'entendons rien. Vérifiez que le micro est autorisé et branché, puis recommencez.": (
        "We cannot hear anything. Check that the microphone is allowed and connected, "
        "then try again."
    ),
    "Le message est trop court. Parlez au moins {min_seconds} secondes.": (
        "The message is too short. Speak for at least {min_seconds} seconds."
    ),
    "Le message est trop long. Restez sous {max_seconds} secondes.": (
        "The message is too long. Keep it under {max_seconds} seconds."
    ),
    "Le son sature. Éloignez un peu le micro ou parlez moins fort, puis recommencez.": (
        "The sound is distorted. Move the microphone a little further away or speak more "
        "softly, then try again."
    ),
    "Le fichier est vide. Enregistrez à nouveau.": "The file is empty. Record again.",
    "Cet enregistrement n'a pas pu être utilisé. Recommencez, s'il vous plaît.": (
        "This recording could not be used. Please try again."
    ),
    # A recording link that cannot be used (studio/link_problem.html).
    "Ce lien a expiré": "This link has expired",
    "Demandez un nouveau lien d'enregistrement à votre responsable.": (
        "Ask your manager for a new recording link."
    ),
    "Ce lien n'est plus valable": "This link is no longer valid",
    "Il a été désactivé. Demandez un nouveau lien à votre responsable.": (
        "It has been disabled. Ask your manager for a new link."
    ),
    "Votre compte vendeur est désactivé. Parlez-en à votre responsable.": (
        "Your seller account is disabled. Talk to your manager."
    ),
    "Lien inconnu": "Unknown link",
    "Vérifiez que vous avez copié le lien en entier, ou demandez-en un nouveau.": (
        "Check that you copied the whole link, or ask for a new one."
    ),
}
