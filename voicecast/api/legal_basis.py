"""A contact's legal basis for being called: consent (recorded with its source and proof,
withdrawn in one call) and an ongoing contract. French canvassing needs one of them; the
calling rules read them right before each dial. Also a refusal: a customer who said no to a
call is left in peace for the preset's silence period (60 days under FR)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from voicecast.api import bp
from voicecast.api.auth import current_principal
from voicecast.api.contacts import ContactOut, get_visible_contact
from voicecast.api.schemas import Input
from voicecast.api.spec import operation
from voicecast.extensions import db
from voicecast.models.base import utcnow

TAG = "Contacts"


class ConsentIn(Input):
    source: str = Field(
        min_length=1, max_length=100, description="e.g. 'web form', 'signed order'."
    )
    proof: str | None = Field(
        default=None, max_length=1000, description="What shows it: a reference, the wording agreed."
    )
    given_at: datetime | None = Field(default=None, description="When (default: now).")


class ContractIn(Input):
    kind: str = Field(min_length=1, max_length=100, description="e.g. 'servicing contract'.")
    ends_on: date | None = Field(default=None, description="Its last day (null: open-ended).")


def managed_contact(contact_id: int):
    current_principal().require_manager()
    return get_visible_contact(contact_id)


@operation(bp, "/contacts/<int:contact_id>/consent", "PUT", summary="Record consent", tag=TAG,
           body=ConsentIn, response=ContactOut, errors=(403, 404))  # fmt: skip
def record_consent(contact_id: int, body: ConsentIn):
    """The contact agreed to be called; a later consent replaces the earlier one."""
    contact = managed_contact(contact_id)
    contact.consent_at = body.given_at or utcnow()
    contact.consent_source, contact.consent_proof = body.source, body.proof
    contact.consent_withdrawn_at = None
    db.session.commit()
    return ContactOut.model_validate(contact)


@operation(bp, "/contacts/<int:contact_id>/consent", "DELETE", summary="Withdraw consent",
           tag=TAG, response=ContactOut, errors=(403, 404))  # fmt: skip
def withdraw_consent(contact_id: int):
    """Honoured at once: the record stays, marked withdrawn now."""
    contact = managed_contact(contact_id)
    if contact.consent_at is not None and contact.consent_withdrawn_at is None:
        contact.consent_withdrawn_at = utcnow()
        db.session.commit()
    return ContactOut.model_validate(contact)


@operation(bp, "/contacts/<int:contact_id>/contract", "PUT", summary="Record a contract",
           tag=TAG, body=ContractIn, response=ContactOut, errors=(403, 404))  # fmt: skip
def record_contract(contact_id: int, body: ContractIn):
    """An ongoing contract the calls serve (it counts until `ends_on`, included)."""
    contact = managed_contact(contact_id)
    contact.contract_kind, contact.contract_ends_on = body.kind, body.ends_on
    db.session.commit()
    return ContactOut.model_validate(contact)


@operation(bp, "/contacts/<int:contact_id>/contract", "DELETE", summary="Remove the contract",
           tag=TAG, response=ContactOut, errors=(403, 404))  # fmt: skip
def remove_contract(contact_id: int):
    contact = managed_contact(contact_id)
    contact.contract_kind = contact.contract_ends_on = None
    db.session.commit()
    return ContactOut.model_validate(contact)


class RefusalIn(Input):
    refused_at: datetime | None = Field(default=None, description="When (default: now).")


@operation(bp, "/contacts/<int:contact_id>/refusal", "PUT", summary="Record a refusal",
           tag=TAG, body=RefusalIn, response=ContactOut, errors=(403, 404))  # fmt: skip
def record_refusal(contact_id: int, body: RefusalIn):
    """The customer refused a call: under a preset with a silence period, no campaign calls
    them until it has passed (honoured at the next dial). To stop all calls for good, add the
    number to the do-not-call list instead."""
    contact = managed_contact(contact_id)
    contact.refused_at = body.refused_at or utcnow()
    db.session.commit()
    return ContactOut.model_validate(contact)


@operation(bp, "/contacts/<int:contact_id>/refusal", "DELETE", summary="Clear a refusal",
           tag=TAG, response=ContactOut, errors=(403, 404))  # fmt: skip
def clear_refusal(contact_id: int):
    """Recorded by mistake: the contact may be called again."""
    contact = managed_contact(contact_id)
    contact.refused_at = None
    db.session.commit()
    return ContactOut.model_validate(contact)
