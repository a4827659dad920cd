"""The English catalogue of the pages' French messages (voicecast.i18n translates with it):
each key is the French text as the templates and code write it, each value its English."""

from __future__ import annotations

EN: dict[str, str] = {
    "Connexion": "Log in",
    "Se connecter": "Log in",
    "Se déconnecter": "Log out",
    "Adresse e-mail": "Email address",
    "Mot de passe": "Password",
    "E-mail ou mot de passe incorrect.": "Wrong email or password.",
    "Réservé aux responsables et administrateurs.": "For managers and admins only.",
    "Vous êtes déconnecté.": "You are logged out.",
    "Vendeurs": "Sellers",
    "Contacts": "Contacts",
    "Clés d'API": "API keys",
    "Nom": "Name",
    "Téléphone": "Phone",
    "Actif": "Active",
    "oui": "yes",
    "non": "no",
    "Aucun vendeur pour l'instant.": "No sellers yet.",
    "Documentation de l'API": "API documentation",
    "Compte": "Account",
    "Tableau de bord": "Dashboard",
    "Erreur": "Error",
    "Retour à l'accueil": "Back to the home page",
    "Page introuvable.": "Page not found.",
    "Votre session a expiré, veuillez réessayer.": "Your session expired, please try again.",
    "Trop de tentatives de connexion. Réessayez dans {minutes} min.": (
        "Too many login attempts. Try again in {minutes} min."
    ),
    "Langue": "Language",
    "Voicecast : vos vendeurs laissent leur propre voix sur la messagerie de vos clients.": (
        "Voicecast: your sellers leave their own voice on your customers' voicemail."
    ),
    "Paramètres": "Parameters",
    "Corps de la requête": "Request body",
    "Réponses": "Responses",
    "Schémas": "Schemas",
    "Champ": "Field",
    "Type": "Type",
    "Obligatoire": "Required",
    "Description": "Description",
    # The recording studio (studio/page.html).
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
    # The dashboard (voicecast/dashboard/).
    "En attente": "Waiting",
    "Appel en cours": "Dialing",
    "Message déposé": "Voicemail left",
    "Message coupé": "Voicemail cut",
    "Sans messagerie": "Undeliverable",
    "Un fax a répondu": "A fax answered",
    "Réponse non reconnue": "Answer not recognised",
    "Personne jointe": "Person reached",
    "Pas de réponse": "No answer",
    "Occupé": "Busy",
    "Échec": "Failed",
    "Annulé": "Canceled",
    "Écarté": "Skipped",
    "Brouillon": "Draft",
    "En préparation": "Planning",
    "En cours": "Running",
    "En pause": "Paused",
    "Terminée": "Completed",
    "Annulée": "Canceled",
    "Hors des heures d'appel": "Outside calling hours",
    "Jour férié": "Public holiday",
    "Plafond de tentatives atteint": "Attempt cap reached",
    "Délai avant nouvel essai": "Retry delay",
    "Premier appel programmé": "First call scheduled",
    "Campagne en pause": "Campaign paused",
    "Prêt à appeler": "Due",
    "Sans vendeur": "No seller",
    "Vendeur désactivé": "Seller deactivated",
    "Pas de message enregistré": "No recorded message",
    "Ni consentement ni contrat": "Neither consent nor contract",
    "Pas de consentement": "No consent",
    "Consentement sans preuve écrite": "Consent without written proof",
    "Consentement retiré": "Consent withdrawn",
    "Contrat terminé": "Contract ended",
    "A refusé récemment": "Refused recently",
    "Liste d'opposition": "Do-not-call list",
    "Appel jamais passé par l'opérateur": "Call never placed by the carrier",
    "Mis en relation": "Connected",
    "Message laissé": "Voicemail left",
    "Raccroché": "Hung up",
    "Désinscrit": "Opted out",
    "Campagne mise en pause : plus aucun nouvel appel.": "Campaign paused: no new calls.",
    "Campagne relancée.": "Campaign resumed.",
    "Campagne annulée.": "Campaign canceled.",
    "Appels passés": "Calls placed",
    "Rappels reçus": "Callbacks received",
    "Impossible maintenant : la campagne est {status}.": "Not now: the campaign is {status}.",
    "Campagnes": "Campaigns",
    "Campagne": "Campaign",
    "Statut": "Status",
    "Progression": "Progress",
    "Lancée le": "Launched",
    "Aucune campagne pour l'instant.": "No campaigns yet.",
    "Mettre en pause": "Pause",
    "Reprendre": "Resume",
    "Annuler la campagne": "Cancel the campaign",
    "Entonnoir": "Funnel",
    "Contacts de la campagne": "Contacts in the campaign",
    "Pourquoi ils attendent": "Why they wait",
    "Pourquoi ils sont écartés": "Why they are skipped",
    "Rappels": "Callbacks",
    "Taux de rappel": "Callback rate",
    "Coût": "Cost",
    "{priced} appel{s} au prix de Twilio, {estimated} au prix estimé": (
        "{priced} call{s} at Twilio's price, {estimated} at the estimated price"
    ),
    "jusqu'au": "until",
    "Règles d'appel": "Calling rules",
    "Règles {preset} du compte, dans le fuseau de chaque contact.": (
        "The account's {preset} rules, in each contact's time zone."
    ),
    "Resserrées par le compte.": "Narrowed by the account.",
    "Au plus {cap} tentatives par numéro en {days} jours, toutes campagnes confondues.": (
        "At most {cap} attempts per number in {days} days, across all campaigns."
    ),
    "Aucune règle d'appel : seule la fenêtre de la campagne s'applique (pas de jours fériés, "
    "pas de plafond de tentatives, pas de vérification du consentement).": (
        "No calling rules: only the campaign's own window applies (no public holidays, no "
        "attempt cap, no consent check)."
    ),
    "Lundi": "Monday",
    "Mardi": "Tuesday",
    "Mercredi": "Wednesday",
    "Jeudi": "Thursday",
    "Vendredi": "Friday",
    "Samedi": "Saturday",
    "Dimanche": "Sunday",
    "Appels et rappels dans le temps": "Calls and callbacks over time",
    "Exporter": "Export",
    "Mis à jour à": "Updated at",
    "Vendeurs et rappels": "Sellers and callbacks",
    "Message": "Message",
    "Messages déposés": "Drops",
    "Rappels manqués": "Missed callbacks",
    "aucun": "none",
    "Rechercher": "Search",
    "Nom, numéro ou n° client": "Name, number or customer number",
    "Aucun contact trouvé.": "No contact found.",
    "Suivants": "Next",
    "Historique": "History",
    "Messages reçus": "Drops received",
    "Date": "Date",
    "Tentatives": "Attempts",
    "Appelant": "Caller",
    "Issue": "Outcome",
    "Vendeur": "Seller",
    "Opposition": "Opt-out",
    "Sur la liste d'opposition depuis le {date} ({source}).": (
        "On the do-not-call list since {date} ({source})."
    ),
    "Pas sur la liste d'opposition.": "Not on the do-not-call list.",
    "Consentement retiré le {date}.": "Consent withdrawn on {date}.",
    "Aucun message reçu.": "No drops received.",
    "Aucun rappel.": "No callbacks.",
    "Vendeur prévenu": "Seller told",
    "Non : {reason}": "No: {reason}",
    "Les chiffres se mettent à jour tout seuls.": "The figures update by themselves.",
    # The exports' values (dashboard/wording.py: ATTEMPT_STATES, ANSWERED_BY, ROUTES).
    "Créé": "Created",
    "En file chez l'opérateur": "Queued at the carrier",
    "Sonne": "Ringing",
    "En ligne": "In progress",
    "Terminé": "Completed",
    "Une personne": "A person",
    "Messagerie, après le bip": "Voicemail, after the beep",
    "Messagerie, après un silence": "Voicemail, after silence",
    "Messagerie, fin non reconnue": "Voicemail, end not recognised",
    "Messagerie, au début du message d'accueil": "Voicemail, at the start of the greeting",
    "Fax": "Fax",
    "Inconnu": "Unknown",
    "Ligne du vendeur": "Seller's line",
    "Dernier message reçu": "Last message received",
    "Vendeur attitré": "Assigned seller",
    "Numéro de repli": "Fallback number",
    "Aucun numéro à faire sonner": "Nobody to ring",
    "Nouvel essai : l'appel n'est jamais parti": "Retry: the call was never placed",
    "Cette référence est destinée aux développeurs qui relient Voicecast à vos outils : elle "
    "est en anglais, comme l'API elle-même (noms des champs, codes et messages d'erreur).": (
        "This reference is for developers connecting Voicecast to your tools."
    ),
    # A missed callback's voicemail page (callbacks/voicemail.html) and the dashboard's words.
    "Rappel manqué": "Missed callback",
    "Appel du {when}": "Call of {when}",
    "Son message": "Their message",
    "Écouter le message de {caller}": "Listen to {caller}'s message",
    "Durée : {length}": "Length: {length}",
    "Rappeler le {number}": "Call back {number}",
    "Reçu": "Received",
    "En traitement": "Processing",
    "Prêt": "Ready",
    "Refusé": "Rejected",
    "ajouté par un responsable": "added by a manager",
    "demandé par le client en rappelant": "asked by the customer when calling back",
    "demandé par le client pendant le message": "asked by the customer during the message",
    "fichier d'opposition importé": "imported do-not-call file",
    # A draft campaign's forecast (dashboard/forecast_text.py).
    "Prévision": "Forecast",
    "Cadence": "Pace",
    "Fin prévue": "Expected end",
    "Désinscriptions (pas des rappels)": "Opt-outs (not callbacks)",
    "Heure": "Time",
    "Appels": "Calls",
    "le {when} ({zone})": "on {when} ({zone})",
    "le débit demandé pour la campagne ({value} appels/s)": (
        "the campaign's own rate ({value} calls/s)"
    ),
    "la limite du compte opérateur ({carrier} appels/s, toutes campagnes)": (
        "the carrier account's limit ({carrier} calls/s, for every campaign)"
    ),
    "les appels simultanés ({count} à la fois, {seconds} s chacun {how})": (
        "calls at once ({count} at a time, {seconds} s each {how})"
    ),
    "en moyenne sur les {count} derniers appels du compte": (
        "on average over the account's last {count} calls"
    ),
    "supposés : aucun appel du compte n'est encore terminé": (
        "assumed: none of the account's calls has ended yet"
    ),
    "La fenêtre d'appel ferme {when} avec des appels restants": (
        "The calling window closes {when} with calls left"
    ),
    " (jour férié : {name})": " (public holiday: {name})",
    " et ne rouvre pas dans l'année.": " and does not reopen within a year.",
    " ; reprise {when}.": "; calls resume {when}.",
    "{rate} appels/s, limité par {limit}.": "{rate} calls/s, limited by {limit}.",
    "Personne à appeler.": "Nobody to call.",
    "Le dernier appel ne serait pas passé dans l'année.": (
        "The last call would not be placed within a year."
    ),
    "Dernière relance au plus tard {when}, si toutes les tentatives servent.": (
        "Last retry {when} at the latest, if every attempt is used."
    ),
    "{count} appels : le dernier premier appel {when}.": (
        "{count} calls: the last first attempt {when}."
    ),
    "Le segment « {segment} » filtre sur la colonne « {column} », dont 1 cellule n'avait pas le "
    "bon type à l'importation n° {import_id} : ce contact n'y a pas de valeur et aucune condition "
    "sur cette colonne ne le retient.": (
        'Segment "{segment}" filters on the column "{column}", 1 cell of which did not fit its '
        "type in import {import_id}: that contact has no value there and no condition on the "
        "column matches it."
    ),
    "Le segment « {segment} » filtre sur la colonne « {column} », dont {count} cellules "
    "n'avaient pas le bon type à l'importation n° {import_id} : ces contacts n'y ont pas de "
    "valeur et aucune condition sur cette colonne ne les retient.": (
        'Segment "{segment}" filters on the column "{column}", {count} cells of which did not '
        "fit its type in import {import_id}: those contacts have no value there and no "
        "condition on the column matches them."
    ),
}
