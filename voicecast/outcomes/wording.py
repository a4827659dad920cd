"""The outcomes' words, in French (the pages' and exports' source language; their English in
`translations.py`), and the reports' figures written the reader's way ("12,50 €", "$12.50")."""

from __future__ import annotations

from typing import Any

from voicecast.i18n import money

KINDS = {
    "appointment_booked": "Rendez-vous pris",
    "repair_order": "Ordre de réparation",
    "vehicle_sold": "Véhicule vendu",
}
TOUCHES = {"drop": "Message déposé", "callback": "Rappel du client"}
UNATTRIBUTED = {
    "unknown_contact": "Contact inconnu",
    "no_message": "Aucun message ni rappel avant",
    "outside_window": "Dernier message hors de la fenêtre d'attribution",
}


def amounts(entries: list[dict[str, Any]], locale: str | None = None) -> str:
    """Amounts in several currencies, never added: "12,50 € + 3,20 $US"; "—" for none."""
    return " + ".join(money(entry["amount"], entry["currency"], locale) for entry in entries) or "—"


def results_texts(figures: dict[str, Any], locale: str | None = None) -> dict[str, str]:
    """A report's money figures as the page writes them."""
    return {
        name: amounts(figures[name], locale) for name in ("revenue", "cost", "cost_per_appointment")
    }
