"""Which contact field each column of a customer file fills, from its header in French or in
English, or from an explicit mapping sent with the file. Other columns become attributes."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from voicecast.imports.reasons import Reasoned

# Our fields, and the headers (compared without case, accents or punctuation) that name them.
FIELD_HEADERS = {
    "phone": (
        "phone", "phone number", "telephone", "tel", "mobile", "portable", "gsm", "numero",
        "numero de telephone", "num tel", "tel portable", "telephone portable", "cell",
    ),
    "first_name": ("first name", "firstname", "given name", "prenom"),
    "last_name": ("last name", "lastname", "surname", "family name", "nom", "nom de famille"),
    "email": ("email", "e mail", "mail", "courriel", "adresse email", "adresse mail"),
    "external_id": (
        "external id", "customer id", "client id", "customer number", "id client",
        "numero client", "no client", "n client", "code client", "reference client", "ref client",
    ),
    "postal_code": ("postal code", "postcode", "zip", "zip code", "code postal", "cp"),
    "seller": ("seller", "seller email", "salesperson", "vendeur", "email vendeur", "commercial"),
    # The legal basis (voicecast.imports.legal): consent and an ongoing contract.
    "consent": (
        "consent", "consented", "opt in", "optin", "consentement", "consentement telephone",
        "consentement appel", "opt in telephone",
    ),
    "consent_date": (
        "consent date", "date of consent", "consent given on", "consented on", "opt in date",
        "date consentement", "date de consentement", "date du consentement", "date opt in",
    ),
    "consent_source": (
        "consent source", "source of consent", "source consentement", "source du consentement",
        "source de consentement", "origine consentement", "origine du consentement",
    ),
    "consent_proof": (
        "proof", "consent proof", "proof of consent", "preuve", "preuve consentement",
        "preuve du consentement", "preuve de consentement",
    ),
    "contract_kind": (
        "contract", "contract kind", "contract type", "contrat", "type de contrat",
        "nature du contrat", "type contrat",
    ),
    "contract_ends_on": (
        "contract end", "contract end date", "contract ends on", "end of contract",
        "contract last day", "fin de contrat", "fin du contrat", "date de fin de contrat",
        "date fin de contrat", "date fin contrat", "fin contrat",
    ),
}  # fmt: skip
FIELDS = tuple(FIELD_HEADERS)
IGNORE = "ignore"
ATTRIBUTE_PREFIX = "attr:"


class BadMapping(Reasoned):
    """The explicit mapping names a column or a field that does not exist."""


def plain(text: str) -> str:
    """`text` lowercased, without accents, punctuation runs as one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]+", " ", ascii_text.lower()).strip()


HEADER_FIELD = {
    plain(header): field for field, headers in FIELD_HEADERS.items() for header in headers
}


def attribute_name(header: str) -> str:
    """The attribute a free column fills: its header as a plain identifier."""
    return plain(header).replace(" ", "_") or "column"


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    field: str | None  # one of FIELDS, or None for an attribute
    attribute: str | None  # the attribute's name, or None


def map_columns(header: list[str], mapping: dict[str, str] | None = None) -> list[Column]:
    """Each column of `header` with what it fills; `mapping` ({header: field, "attr:name" or
    "ignore"}) overrides the guess for the columns it names. Raises BadMapping."""
    mapping = mapping or {}
    unknown = sorted(set(mapping) - set(header))
    if unknown:
        raise BadMapping("mapping_unknown_columns", columns=unknown)
    columns, taken = [], set()
    for index, title in enumerate(header):
        target = mapping.get(title) or HEADER_FIELD.get(plain(title)) or ATTRIBUTE_PREFIX
        if target == IGNORE:
            continue
        if target.startswith(ATTRIBUTE_PREFIX):
            name = target[len(ATTRIBUTE_PREFIX) :] or attribute_name(title)
            columns.append(Column(index, title, None, name))
            continue
        if target not in FIELDS:
            raise BadMapping(
                "mapping_unknown_target", column=title, target=target, fields=list(FIELDS)
            )
        if target in taken:
            columns.append(Column(index, title, None, attribute_name(title)))  # the first wins
            continue
        taken.add(target)
        columns.append(Column(index, title, target, None))
    if "phone" not in taken:
        raise BadMapping("no_phone_column")
    return columns
