"""Why an import left out a line or a cell, in the account's language: each reason a stable
code (what the API gives beside the words) and its wording in English and in French."""

from __future__ import annotations

from typing import Any

import phonenumbers

from voicecast.i18n import account_locale

# code -> (English, French); the params are named in braces.
WORDING: dict[str, tuple[str, str]] = {
    "no_phone": ("No phone number.", "Pas de numéro de téléphone."),
    "invalid_phone": (
        "{value!r} is not a valid number for {country}.",
        "« {value} » n'est pas un numéro valide pour {country}.",
    ),
    "too_many_cells": (
        "{cells} cells where the header has {width}: is there a delimiter inside a value that "
        "is not quoted?",
        "{cells} cellules alors que l'en-tête en a {width} : un séparateur est-il dans une "
        "valeur sans guillemets ?",
    ),
    "too_long": (
        "{field} is longer than {max} characters.",
        "« {column} » dépasse {max} caractères.",
    ),
    "invalid_email": (
        "{value!r} is not an email address.",
        "« {value} » n'est pas une adresse e-mail.",
    ),
    "unknown_seller": (
        "No seller {value!r} in the account (give a seller's email or name).",
        "Aucun vendeur « {value} » dans le compte (indiquez l'e-mail ou le nom d'un vendeur).",
    ),
    "no_external_id": (
        "No external id to match on.",
        "Pas de numéro client pour retrouver le contact.",
    ),
    "duplicate_phone": (
        "Same number ({phone}) as line {line}.",
        "Même numéro ({phone}) qu'à la ligne {line}.",
    ),
    "duplicate_external_id": (
        "Same external id ({value}) as line {line}.",
        "Même numéro client ({value}) qu'à la ligne {line}.",
    ),
    "phone_taken": (
        "The number {phone} belongs to another contact ({other}).",
        "Le numéro {phone} appartient à un autre contact ({other}).",
    ),
    "external_id_taken": (
        "The external id {value} belongs to another contact ({other}).",
        "Le numéro client {value} appartient à un autre contact ({other}).",
    ),
    "unbalanced_quote": (
        "A quote opened on this line is never closed: the line is left out (close or remove "
        "the quote); the lines after it are read.",
        "Un guillemet ouvert sur cette ligne n'est jamais fermé : la ligne est écartée (fermez "
        "ou retirez le guillemet) ; les lignes suivantes sont lues.",
    ),
    # A cell that does not fit its column's type: left empty, the row is imported.
    "not_a_number": (
        "{value!r} is not a number: the cell is left empty.",
        "« {value} » n'est pas un nombre : la cellule est laissée vide.",
    ),
    "not_a_date": (
        "{value!r} is not a date ({pattern} or YYYY-MM-DD): the cell is left empty.",
        "« {value} » n'est pas une date ({pattern}) : la cellule est laissée vide.",
    ),
    "date_order_conflict": (
        "{value!r} reads only as {other_pattern}, but this column's dates are {pattern}: the "
        "cell is left empty rather than read the other way round.",
        "« {value} » ne se lit qu'au format {other_pattern}, mais les dates de cette colonne "
        "sont au format {pattern} : la cellule est laissée vide plutôt que lue à l'envers.",
    ),
    "not_a_boolean": (
        "{value!r} is not yes or no: the cell is left empty.",
        "« {value} » n'est ni oui ni non : la cellule est laissée vide.",
    ),
    # The file as a whole cannot be read (the import fails with what to fix).
    "not_text": (
        "This is not a text file: export the sheet as CSV.",
        "Ce n'est pas un fichier texte : exportez la feuille en CSV.",
    ),
    "empty_file": (
        "The file is empty: it needs a header line naming its columns.",
        "Le fichier est vide : il lui faut une ligne d'en-tête nommant ses colonnes.",
    ),
    "scrub_without_numbers": (
        "No line of the file is a US number, and no area code was named: nothing was "
        "replaced. Send the registry's download for your area codes (one number per line), "
        "or name the area codes of a scrub that lists none.",
        "Aucune ligne du fichier n'est un numéro américain et aucun indicatif n'est nommé : "
        "rien n'a été remplacé.",
    ),
    "header_unbalanced_quote": (
        "Line {line}, the header, opens a quote it never closes.",
        "La ligne {line}, l'en-tête, ouvre un guillemet qu'elle ne ferme jamais.",
    ),
    "mapping_unknown_columns": (
        "The mapping names columns the file does not have: {columns}.",
        "La correspondance nomme des colonnes que le fichier n'a pas : {columns}.",
    ),
    "mapping_unknown_target": (
        "Column {column!r} is mapped to {target!r}: use one of {fields}, 'attr:<name>' or "
        "'ignore'.",
        "La colonne « {column} » est associée à « {target} » : utilisez l'un de {fields}, "
        "'attr:<nom>' ou 'ignore'.",
    ),
    "no_phone_column": (
        "No column holds the phone number: name it 'Téléphone' or 'Phone', or map it "
        'explicitly, e.g. mapping={{"Tel. portable": "phone"}}.',
        "Aucune colonne ne contient le numéro de téléphone : nommez-la « Téléphone », ou "
        'associez-la explicitement, par ex. mapping={{"Tel. portable": "phone"}}.',
    ),
    "stopped": (
        "The import stopped on an error on our side; the contacts stored before it stay. Send "
        "the file again to finish it (the rows already stored will count as unchanged).",
        "L'import s'est arrêté sur une erreur de notre côté ; les contacts déjà enregistrés "
        "restent. Envoyez de nouveau le fichier pour le terminer (les lignes déjà enregistrées "
        "compteront comme inchangées).",
    ),
    # What the report says of a date column's order (voicecast.imports.dates).
    "date_order_ambiguous": (
        "Every date in this column reads both ways: read as {pattern}, the account's order. "
        "If they are {other_pattern}, send the file again with date_order.",
        "Toutes les dates de cette colonne se lisent dans les deux sens : lues au format "
        "{pattern}, celui du compte. Si elles sont au format {other_pattern}, envoyez de "
        "nouveau le fichier avec date_order.",
    ),
    "date_order_from_values": (
        "Read as {pattern}: {example!r} reads no other way.",
        "Lues au format {pattern} : « {example} » ne se lit pas autrement.",
    ),
    "date_order_from_option": (
        "Read as {pattern}, as the import's date_order says.",
        "Lues au format {pattern}, comme le demande date_order.",
    ),
    "date_order_against": (
        "{against} cell(s) read only as {other_pattern}: left empty and listed.",
        "{against} cellule(s) ne se lisent qu'au format {other_pattern} : laissées vides et "
        "listées.",
    ),
    "date_order_unknown_columns": (
        "date_order names columns the file does not have: {columns}.",
        "date_order nomme des colonnes que le fichier n'a pas : {columns}.",
    ),
    "consent_in_future": (
        "{value!r} is a date to come: a consent cannot be dated after today. The row's consent "
        "is not recorded (its other cells are).",
        "« {value} » est une date à venir : un consentement ne peut être daté d'après "
        "aujourd'hui. Le consentement de la ligne n'est pas enregistré (ses autres cellules "
        "le sont).",
    ),
    "not_a_consent": (
        "{value!r} is not yes, no or a date: the cell is left empty.",
        "« {value} » n'est ni oui, ni non, ni une date : la cellule est laissée vide.",
    ),
}
# Who the other contact is: one the account had, or one this file created.
OTHER = {
    "contact_id": ("id {contact_id}", "n° {contact_id}"),
    "created_line": ("created from line {created_line}", "créé par la ligne {created_line}"),
}


class Reasoned(ValueError):
    """A failure said by a reason's code and params; its message is the English wording."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(say(code, params, "en"))
        self.code, self.params = code, params


def language_of(country: str) -> str:
    """The language of an account's import reports (i18n's rule for what people read outside
    a page: French for French accounts)."""
    return account_locale(country.upper())


def national(phone: str) -> str:
    """A French report's number in national form (06 12 34 56 78)."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def say(code: str, params: dict[str, Any], language: str) -> str:
    """The reason `code` in words, in `language` ("fr" or "en")."""
    french = language == "fr"
    values = dict(params)
    for key, (english, in_french) in OTHER.items():
        if key in params:
            values["other"] = (in_french if french else english).format(**params)
    if french and "phone" in values:
        values["phone"] = national(values["phone"])
    if french and "country" in values:
        values["country"] = "la France" if values["country"] == "FR" else values["country"]
    english, in_french = WORDING[code]
    return (in_french if french else english).format(**values)
