"""The English of the outcomes' French words and titles, merged into
`voicecast.translations.EN` (kept here, importing nothing, beside the feature's code)."""

from __future__ import annotations

EN: dict[str, str] = {
    "Rendez-vous pris": "Appointment booked",
    "Ordre de réparation": "Repair order",
    "Véhicule vendu": "Vehicle sold",
    "Rappel du client": "Customer's callback",
    "Contact inconnu": "Unknown contact",
    "Aucun message ni rappel avant": "No message nor callback before",
    "Dernier message hors de la fenêtre d'attribution": (
        "Last message outside the attribution window"
    ),
    "Résultats": "Results",
    "Rendez-vous": "Appointments",
    "Chiffre d'affaires": "Revenue",
    "Coût des appels": "Cost of the calls",
    "Coût par rendez-vous": "Cost per appointment",
    "Ordres de réparation": "Repair orders",
    "Véhicules vendus": "Vehicles sold",
    "Messages et personnes jointes": "Messages left and people reached",
    "Résultats (CSV)": "Results (CSV)",
    "{priced} appels sur {calls} au prix de l'opérateur": (
        "{priced} of {calls} calls at the carrier's price"
    ),
    "Parcours": "Journey",
    "Étape": "Step",
    "Total du parcours": "Whole journey",
}
