"""The words the dashboard shows for the service's codes (statuses, reasons, outcomes), in the
page's language; the page's script gets them too, for what it redraws."""

from __future__ import annotations

from voicecast.delivery.calls import RETRY_NEVER_PLACED
from voicecast.delivery.controls import CANCELED_BY_CAMPAIGN
from voicecast.i18n import current_locale, local_time, money, percent, zone_name
from voicecast.i18n import gettext as _
from voicecast.rules.us_state_words import reason_labels

STAGES = {
    "pending": "En attente",
    "dialing": "Appel en cours",
    "voicemail_left": "Message déposé",
    "voicemail_cut": "Message coupé",
    "voicemail_unsure": "Message non confirmé",
    "human_reached": "Personne jointe",
    "no_answer": "Pas de réponse",
    "busy": "Occupé",
    "failed": "Échec",
    "undeliverable": "Sans messagerie",
    "canceled": "Annulé",
    "excluded": "Écarté",
}
# What answered a delivery ended `undeliverable` (its reason).
UNDELIVERABLE = {
    "fax": "Un fax a répondu",
    "unknown": "Réponse non reconnue",
    # The carrier refused the number itself (carrier.errors.NUMBER_REASONS).
    "invalid_number": "Numéro invalide selon l'opérateur",
    "unreachable_number": "Numéro injoignable selon l'opérateur",
    "blocked_number": "Numéro bloqué par l'opérateur",
}
STATUSES = {
    "draft": "Brouillon",
    "planning": "En préparation",
    "running": "En cours",
    "paused": "En pause",
    "completed": "Terminée",
    "canceled": "Annulée",
}
WAITING = {
    "outside_hours": "Hors des heures d'appel",
    "public_holiday": "Jour férié",
    "attempt_cap": "Plafond de tentatives atteint",
    "retry_delay": "Délai avant nouvel essai",
    "scheduled": "Premier appel programmé",
    "campaign_paused": "Campagne en pause",
    "due": "Prêt à appeler",
}
EXCLUDED = {
    "no_seller": "Sans vendeur",
    "seller_inactive": "Vendeur désactivé",
    "no_recording": "Pas de message enregistré",
    "no_legal_basis": "Ni consentement ni contrat",
    "no_consent": "Pas de consentement",
    "consent_without_proof": "Consentement sans preuve écrite",
    "consent_withdrawn": "Consentement retiré",
    "contract_ended": "Contrat terminé",
    "refused_recently": "A refusé récemment",
    "suppressed": "Liste d'opposition",
    "national_dnc": "Registre national Do Not Call (États-Unis)",
    # Not an exclusion, but a delivery's reason the contact page shows with these.
    "never_placed": "Appel jamais passé par l'opérateur",
}
OUTCOMES = {
    "connected": "Mis en relation",
    "voicemail_left": "Message laissé",
    "abandoned": "Raccroché",
    "opted_out": "Désinscrit",
    "in_progress": "En cours",
}
# Every reason a delivery can carry: why it waits or was skipped, the outcome that ended it
# (busy, no_answer...), and the two written ones of delivery/calls.py and controls.py.
REASONS = {
    **WAITING,
    **EXCLUDED,
    **STAGES,
    **UNDELIVERABLE,
    RETRY_NEVER_PLACED: "Nouvel essai : l'appel n'est jamais parti",
    CANCELED_BY_CAMPAIGN: "Campagne annulée",
}
RECORDINGS = {
    "uploaded": "Reçu",
    "processing": "En traitement",
    "ready": "Prêt",
    "rejected": "Refusé",
}
# Who put a number on the do-not-call list (Suppression.source).
SOURCES = {
    "api": "ajouté par un responsable",
    "callback": "demandé par le client en rappelant",
    "opt_out_key": "demandé par le client pendant le message",
    "import": "fichier d'opposition importé",
}
# The carrier's states of a call (Twilio's CallStatus, DialCallStatus).
ATTEMPT_STATES = {
    "created": "Créé",
    "dialing": "Appel en cours",
    "queued": "En file chez l'opérateur",
    "ringing": "Sonne",
    "in-progress": "En ligne",
    "completed": "Terminé",
    "busy": "Occupé",
    "no-answer": "Pas de réponse",
    "failed": "Échec",
    "canceled": "Annulé",
}
# Who answered, as the carrier's machine detection says (Twilio's AnsweredBy).
ANSWERED_BY = {
    "human": "Une personne",
    "machine_end_beep": "Messagerie, après le bip",
    "machine_end_silence": "Messagerie, après un silence",
    "machine_end_other": "Messagerie, fin non reconnue",
    "machine_start": "Messagerie, au début du message d'accueil",
    "fax": "Fax",
    "unknown": "Inconnu",
}
# Why a callback went where it went (callbacks.routing.Route).
ROUTES = {
    "seller_line": "Ligne du vendeur",
    "last_message": "Dernier message reçu",
    "assigned_seller": "Vendeur attitré",
    "fallback": "Numéro de repli",
    "none": "Aucun numéro à faire sonner",
}
DONE = {
    "pause": "Campagne mise en pause : plus aucun nouvel appel.",
    "resume": "Campagne relancée.",
    "cancel": "Campagne annulée.",
}
CHART = {"attempts": "Appels passés", "callbacks": "Rappels reçus", "time": "Heure",
         "count": "Appels"}  # fmt: skip


def labels() -> dict[str, dict[str, str]]:
    groups = {"stage": STAGES, "status": STATUSES, "waiting": WAITING, "excluded": EXCLUDED,
              "outcome": OUTCOMES, "done": DONE, "chart": CHART, "recording": RECORDINGS,
              "reason": REASONS,
              "source": SOURCES}  # fmt: skip
    found = {
        name: {code: _(text) for code, text in group.items()} for name, group in groups.items()
    }
    # A state rule's reasons ("state_hours:FL") in words written from the rule's data.
    states = reason_labels(current_locale())
    found["waiting"].update(states)
    found["reason"].update(states)
    found["until"] = _("jusqu'au")  # type: ignore[assignment]
    return found


def cost_text(cost: dict) -> str:
    """ "12,40 €" in French; one amount per currency when the carrier billed in a currency
    no rate converts (never added together)."""
    parts = [money(entry["amount"], entry["currency"]) for entry in cost["amounts"]]
    return " + ".join(parts) or money(0, cost["estimate"]["currency"])


def cost_note(cost: dict) -> str:
    priced = sum(entry["calls"] for entry in cost["carrier"])
    text = "{priced} appel{s} au prix de Twilio, {estimated} au prix estimé"
    plural = priced > 1 if current_locale() == "fr" else priced != 1  # French: 0 is singular
    return _(text).format(
        s="s" if plural else "",
        priced=priced,
        estimated=cost["estimate"]["calls"],
    )


def page_texts(figures: dict, zone: str) -> dict:
    """The campaign page's figures that are written in words (times in the account's `zone`,
    percentages, money), the same for the page and for its script's redraws."""
    rate = figures["callbacks"]["rate"]
    until, in_zone = _("jusqu'au"), f"({zone_name(zone)})"
    return {
        "updated": local_time(figures["updated_at"], zone, "clock"),
        "callback_rate": "—" if rate is None else percent(rate),
        "progress": percent(figures["progress"]),
        "until": {
            reason: f"{until} {local_time(entry['until'], zone)} {in_zone}"
            for reason, entry in figures["waiting"].items()
            if entry["until"]
        },
        "cost": cost_text(figures["cost"]),
        "cost_note": cost_note(figures["cost"]),
    }


DAYS = {"mon": "Lundi", "tue": "Mardi", "wed": "Mercredi", "thu": "Jeudi", "fri": "Vendredi",
        "sat": "Samedi", "sun": "Dimanche"}  # fmt: skip


def day_names() -> dict[str, str]:
    return {code: _(name) for code, name in DAYS.items()}
