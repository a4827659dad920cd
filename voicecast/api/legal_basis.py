"""A contact's legal basis for being called: consent (recorded with its source and proof,
withdrawn in one call) and an ongoing contract. French canvassing needs one of them; the
calling rules read them right before each dial. Also a refusal: a customer who said no to a
call is left in peace for the preset's silence period (60 days under FR)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import ConfigDict, Field, model_validator
from sqlalchemy import select

from voicecast import dialects
from voicecast.api import bp
from voicecast.api.auth import current_principal
from voicecast.api.contacts import ContactOut, get_visible_contact
from voicecast.api.schemas import Id, Input, Output, check_exactly_one, exactly_one_of
from voicecast.api.spec import operation
from voicecast.errors import invalid_field
from voicecast.extensions import db
from voicecast.imports.legal import LEGAL_COLUMNS, LegalCells, dated_in_future, merged
from voicecast.models import Contact
from voicecast.models.base import utcnow
from voicecast.phones import InvalidPhone, describe

TAG = "Contacts"


class ConsentIn(Input):
    source: str = Field(
        min_length=1, max_length=100, description="e.g. 'web form', 'signed order'."
    )
    proof: str | None = Field(
        default=None, max_length=1000, description="What shows it: a reference, the wording agreed."
    )
    given_at: datetime | None = Field(
        default=None, description="When (default: now); never after now (422)."
    )


FUTURE_CONSENT = "A consent cannot be dated in the future: give when it was given, or leave it out."


def aware(moment: datetime | None) -> datetime | None:
    """A time the API read without a zone, as UTC (as it reads every such time)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


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
    now, given_at = utcnow(), aware(body.given_at)
    if given_at is not None and dated_in_future(given_at, now):
        raise invalid_field("body.given_at", FUTURE_CONSENT, "consent_in_future")
    contact.consent_at = given_at or now
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


MAX_CONSENTS = 10_000


CONSENT_KEYS = ("contact_id", "phone")


class ConsentItem(Input):
    model_config = ConfigDict(json_schema_extra=exactly_one_of(*CONSENT_KEYS))

    contact_id: Id | None = Field(default=None, description="The contact, by id...")
    phone: str | None = Field(
        default=None, max_length=32, description="...or by number (E.164 or national)."
    )
    given: bool = Field(default=True, description="false: the consent is withdrawn (now).")
    given_at: datetime | None = Field(
        default=None, description="When (default: now); never after now (consent_in_future)."
    )
    source: str | None = Field(default=None, max_length=100, description="Default: 'import'.")
    proof: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def one_key(self) -> ConsentItem:
        check_exactly_one(self, *CONSENT_KEYS)
        return self


class ConsentBatch(Input):
    consents: list[ConsentItem] = Field(min_length=1, max_length=MAX_CONSENTS)


class ConsentItemError(Output):
    index: int = Field(description="The item's position in `consents`, from 1.")
    code: str = Field(description="not_found, invalid_phone, duplicate or consent_in_future.")
    reason: str


class ConsentReport(Output):
    changed: int = Field(description="Contacts whose legal basis the batch changed.")
    unchanged: int = Field(description="Contacts it found already so (or kept so: see the rule).")
    rejected: int
    errors: list[ConsentItemError]


@operation(bp, "/contacts/consents", "POST", summary="Record or withdraw many consents",
           tag=TAG, body=ConsentBatch, response=ConsentReport, errors=(403,))  # fmt: skip
def record_consents(body: ConsentBatch):
    """Up to 10,000 consents (or withdrawals) from a system that keeps them apart from the
    customer file, each by contact id or number. The rule is the import's: a withdrawal is
    never undone by a consent dated before it (or undated), an older consent does not replace
    a newer one. Every item is applied or listed in `errors` with its reason."""
    current_principal().require_manager()
    account = current_principal().user.account
    found, errors = contacts_of(account, body.consents)
    changed, now = 0, utcnow()
    for index, item in enumerate(body.consents, start=1):
        contact = found.get(index)
        if contact is None:
            continue
        given_at = aware(item.given_at)
        if given_at is not None and dated_in_future(given_at, now):
            errors.append(
                ConsentItemError(index=index, code="consent_in_future", reason=FUTURE_CONSENT)
            )
            continue
        cells = LegalCells(consent=item.given, given_at=given_at, source=item.source,
                           proof=item.proof)  # fmt: skip
        before = {name: getattr(contact, name) for name in LEGAL_COLUMNS}
        after = merged(before, cells, now)
        if after != before:
            changed += 1
            for name, value in after.items():
                setattr(contact, name, value)
    db.session.commit()
    errors.sort(key=lambda error: error.index)
    unchanged = len(found) - changed - sum(error.code == "consent_in_future" for error in errors)
    return ConsentReport(changed=changed, unchanged=unchanged, rejected=len(errors), errors=errors)


def contacts_of(account, items: list[ConsentItem]):
    """The account's contact each item names (by its position), and the items naming none."""
    errors: list[ConsentItemError] = []
    phones: dict[int, str] = {}
    for index, item in enumerate(items, start=1):
        if item.phone is None:
            continue
        try:
            phones[index] = describe(item.phone, account.country).e164
        except InvalidPhone as error:
            errors.append(ConsentItemError(index=index, code="invalid_phone", reason=str(error)))
    ids = {index: item.contact_id for index, item in enumerate(items, start=1) if item.contact_id}
    by_id = account_contacts(account.id, Contact.id, list(ids.values()))
    by_phone = account_contacts(account.id, Contact.phone, list(phones.values()))
    found, seen = {}, {}
    for index in range(1, len(items) + 1):
        contact = by_id.get(ids[index]) if index in ids else by_phone.get(phones.get(index))
        if contact is None:
            if index in ids or index in phones:
                what = f"id {ids[index]}" if index in ids else phones[index]
                reason = f"No contact {what} in your account."
                errors.append(ConsentItemError(index=index, code="not_found", reason=reason))
            continue
        if contact.id in seen:
            reason = f"The same contact as item {seen[contact.id]}: send one item per contact."
            errors.append(ConsentItemError(index=index, code="duplicate", reason=reason))
            continue
        seen[contact.id] = index
        found[index] = contact
    errors.sort(key=lambda error: error.index)
    locked(sorted(seen))
    return found, errors


def locked(contact_ids: list[int]) -> None:
    """Lock the contacts (`dialects.for_writing`, in the order of their ids) and read their
    legal basis again: an import writing the same contacts meanwhile waits for this
    transaction, or this one for it, so neither undoes the other's consent (`merged` sees
    what the other wrote)."""
    for start in range(0, len(contact_ids), 500):
        stmt = (
            select(Contact)
            .where(Contact.id.in_(contact_ids[start : start + 500]))
            .order_by(Contact.id)
            .execution_options(populate_existing=True)
        )
        db.session.scalars(dialects.for_writing(stmt)).all()


def account_contacts(account_id: int, column, values: list) -> dict:
    """The account's contacts whose `column` is one of `values`, by that value."""
    found = {}
    for start in range(0, len(values), 500):
        stmt = select(Contact).where(
            Contact.account_id == account_id, column.in_(values[start : start + 500])
        )
        for contact in db.session.scalars(stmt):
            found[getattr(contact, column.key)] = contact
    return found
