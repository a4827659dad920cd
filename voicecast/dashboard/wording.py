"""The words the dashboard shows for the service's codes (statuses, reasons, outcomes), in the
page's language; the page's script gets them too, for what it redraws."""

from __future__ import annotations

from voicecast.i18n import gettext as _
from voicecast.i18n import percent

STAGES = {
    "pending": "En attente",
    "dialing": "Appel en cours",
    "voicemail_left": "Message déposé",
    "human_reached": "Personne jointe",
    "no_answer": "Pas de réponse",
    "busy": "Occupé",
    "failed": "Échec",
    "canceled": "Annulé",
    "excluded": "Écarté",
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
    "refused_recently": "A refusé récemment",
    "suppressed": "Liste d'opposition",
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
DONE = {
    "pause": "Campagne mise en pause : plus aucun nouvel appel.",
    "resume": "Campagne relancée.",
    "cancel": "Campagne annulée.",
}
CHART = {"attempts": "Appels passés", "callbacks": "Rappels reçus", "time": "Heure",
         "count": "Appels"}  # fmt: skip


def labels() -> dict[str, dict[str, str]]:
    groups = {"stage": STAGES, "status": STATUSES, "waiting": WAITING, "excluded": EXCLUDED,
              "outcome": OUTCOMES, "done": DONE, "chart": CHART}  # fmt: skip
    found = {
        name: {code: _(text) for code, text in group.items()} for name, group in groups.items()
    }
    found["until"] = _("jusqu'au")  # type: ignore[assignment]
    return found


def figure_texts(figures: dict) -> dict[str, str]:
    """The campaign's figures written as the page shows them, for the page and its script's
    redraws alike: "30 %" (never "30.0 %"), "—" before anyone was reached."""
    rate = figures["callbacks"]["rate"]
    return {
        "callback_rate": "—" if rate is None else percent(rate),
        "progress": percent(figures["progress"]),
    }


def cost_text(cost: dict) -> str:
    """ "12.40 EUR", or each currency's amount when the carrier bills in another one."""
    if cost["total"] is not None:
        return f"{cost['total']:.2f} {cost['estimate']['currency']}"
    parts = [f"{entry['amount']:.2f} {entry['unit']}" for entry in cost["carrier"]]
    if cost["estimate"]["calls"]:
        parts.append(f"{cost['estimate']['amount']:.2f} {cost['estimate']['currency']}")
    return " + ".join(parts)


def cost_note(cost: dict) -> str:
    priced = sum(entry["calls"] for entry in cost["carrier"])
    return _("{priced} appels au prix de Twilio, {estimated} au prix estimé").format(
        priced=priced, estimated=cost["estimate"]["calls"]
    )


DAYS = {"mon": "Lundi", "tue": "Mardi", "wed": "Mercredi", "thu": "Jeudi", "fri": "Vendredi",
        "sat": "Samedi", "sun": "Dimanche"}  # fmt: skip


def day_names() -> dict[str, str]:
    return {code: _(name) for code, name in DAYS.items()}
