"""The English of the dashboard's French words (voicecast/dashboard/): its pages, the exports'
values, a missed callback's voicemail page and a draft campaign's forecast."""

from __future__ import annotations

EN: dict[str, str] = {
    # The dashboard (voicecast/dashboard/).
    "En attente": "Waiting",
    "Appel en cours": "Dialing",
    "Message déposé": "Voicemail left",
    "Message coupé": "Voicemail cut",
    "Message non confirmé": "Voicemail unconfirmed",
    "Sans messagerie": "Undeliverable",
    "Un fax a répondu": "A fax answered",
    "Réponse non reconnue": "Answer not recognised",
    "Numéro invalide selon l'opérateur": "Invalid number, as the carrier says",
    "Numéro injoignable selon l'opérateur": "Number unreachable, as the carrier says",
    "Numéro bloqué par l'opérateur": "Number blocked by the carrier",
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
    "Indicatif {area_code}, {contacts} des contacts de la campagne : aucun extrait du "
    "registre national Do Not Call n'est chargé ; ses numéros inscrits seraient appelés.": (
        "Area code {area_code}, {contacts} of the campaign's contacts: no National Do Not "
        "Call registry scrub is on file; its registered numbers would be called."
    ),
    "Indicatif {area_code}, {contacts} des contacts de la campagne : l'extrait du "
    "registre national Do Not Call date du {day}, il y a plus de {days} jours ; "
    "téléchargez-en un nouveau.": (
        "Area code {area_code}, {contacts} of the campaign's contacts: the National Do Not "
        "Call registry scrub was downloaded on {day}, over {days} days ago; download a new "
        "one."
    ),
    "Registre national Do Not Call (États-Unis)": "On the National Do Not Call registry",
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
    "Taux de réponse": "Answered rate",
    "Rappels manqués rappelés": "Missed ones called back",
    "Délai médian de rappel": "Median time to call back",
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
