"""Contacts: the dealership's customers, one per phone number in an account."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from flask import request
from pydantic import Field, StringConstraints, model_validator
from sqlalchemy import ColumnElement, Select, String, case, cast, exists, func, or_, select

from voicecast import dialects
from voicecast.api import bp
from voicecast.api.auth import Principal, current_principal
from voicecast.api.queries import keyset_page, one_or_404
from voicecast.api.schemas import (
    Email,
    Id,
    Input,
    Output,
    PageQuery,
    PhoneInput,
    ShortText,
    not_null,
)
from voicecast.api.spec import operation
from voicecast.api.validation import reject_nulls
from voicecast.delivery.planning import forget_contact
from voicecast.errors import ApiError, invalid_field
from voicecast.extensions import db
from voicecast.models import Contact, Role, User
from voicecast.people import phone_for_account
from voicecast.phones import describe
from voicecast.rules.us_states import contact_regions, state_attribute
from voicecast.time_zones import contact_zones

TAG = "Contacts"
PostalCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)]
ATTR_PREFIX = "attr."
AttributeValue = str | int | float | bool | None
Attributes = dict[str, AttributeValue]


class ContactCreate(Input):
    phone: PhoneInput
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    email: Email | None = None
    seller_id: Id | None = Field(default=None, description="The assigned seller's id.")
    external_id: ShortText | None = Field(default=None, description="Your own customer number.")
    postal_code: PostalCode | None = None
    attributes: Attributes = Field(
        default_factory=dict,
        description='Free attributes, e.g. {"city": "Lyon", "purchase_year": 2024}.',
        max_length=100,
    )


class ContactUpdate(Input):
    phone: PhoneInput = not_null()
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    email: Email | None = None
    seller_id: Id | None = None
    external_id: ShortText | None = None
    postal_code: PostalCode | None = None
    attributes: Attributes = not_null(
        description="Replaces all attributes when sent.", max_length=100
    )


class Consent(Output):
    given_at: datetime
    source: str
    proof: str | None
    withdrawn_at: datetime | None = Field(description="Set once withdrawn: no longer valid.")


class Contract(Output):
    kind: str
    ends_on: date | None


class ContactOut(Output):
    id: int
    phone: str
    first_name: str | None
    last_name: str | None
    email: str | None
    seller_id: int | None
    attributes: dict[str, Any]
    external_id: str | None
    postal_code: str | None
    line_type: str | None = Field(description="mobile, fixed, voip, ... from the numbering plan.")
    timezone: str | None = Field(
        description="The contact's zone (postal code, else number); null: the account's."
    )
    alt_timezone: str | None = Field(
        default=None,
        description="The number's zone when the postal code names another one: calls wait "
        "until the window is open in both.",
    )
    regions: str | None = Field(
        default=None,
        description='US contacts: their states ("FL", or "FL CA" when the ZIP code or the '
        "state attribute and the number's area code disagree); each state's calling rules "
        "apply.",
    )
    consent: Consent | None = Field(default=None, description="null: never given.")
    contract: Contract | None = Field(default=None, description="null: none recorded.")
    refused_at: datetime | None = Field(
        description="When the contact last refused a call (presets keep silence after it)."
    )
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="before")
    @classmethod
    def legal_basis(cls, data: Any) -> Any:
        """The consent and contract columns of a Contact, as two objects."""
        if not isinstance(data, Contact):
            return data
        plain = cls.model_fields.keys() - {"consent", "contract"}
        fields = {name: getattr(data, name) for name in plain}
        if data.consent_at is not None:
            fields["consent"] = Consent(
                given_at=data.consent_at, source=data.consent_source or "",
                proof=data.consent_proof, withdrawn_at=data.consent_withdrawn_at,
            )  # fmt: skip
        if data.contract_kind is not None:
            fields["contract"] = Contract(kind=data.contract_kind, ends_on=data.contract_ends_on)
        return fields


class ContactPage(Output):
    items: list[ContactOut]
    next_cursor: str | None


class ContactQuery(PageQuery):
    seller_id: Id | None = Field(default=None, description="Only this seller's contacts.")
    phone: PhoneInput | None = Field(default=None, description="Only the contact with this number.")
    q: str | None = Field(default=None, max_length=100, description="Text in the first/last name.")


ATTR_FILTER_DOC = {
    "name": "attr.{name}",
    "in": "query",
    "required": False,
    "description": "Equality filter on a free attribute, e.g. `attr.city=Lyon` (repeatable).",
    "schema": {"type": "string"},
}


def visible_contacts(principal: Principal) -> Select[tuple[Contact]]:
    """Contacts the caller may see: the whole account, or a seller's own assigned contacts."""
    stmt = select(Contact).where(Contact.account_id == principal.account_id)
    if not principal.is_manager:
        stmt = stmt.where(Contact.seller_id == principal.user.id)
    return stmt


def get_visible_contact(contact_id: int) -> Contact:
    stmt = visible_contacts(current_principal()).where(Contact.id == contact_id)
    return one_or_404(stmt, "contact")


def check_seller(seller_id: int | None, principal: Principal) -> None:
    if seller_id is None:
        return
    seller = db.session.get(User, seller_id)
    if seller is None or seller.account_id != principal.account_id or seller.role != Role.SELLER:
        message = f"No seller with id {seller_id} in your account."
        raise invalid_field("body.seller_id", message, "seller")


def check_phone_free(phone: str, principal: Principal, except_id: int | None = None) -> None:
    stmt = select(Contact.id).where(
        Contact.account_id == principal.account_id, Contact.phone == phone
    )
    existing = db.session.scalar(stmt)
    if existing is not None and existing != except_id:
        raise ApiError(
            409, f"A contact with phone {phone} already exists.", details={"existing_id": existing}
        )


def apply_contact_fields(contact: Contact, fields: dict[str, Any], principal: Principal) -> None:
    account = principal.user.account
    if "phone" in fields:
        fields["phone"] = phone_for_account(fields["phone"], account, "body.phone")
        check_phone_free(fields["phone"], principal, except_id=contact.id)
    if "seller_id" in fields:
        check_seller(fields["seller_id"], principal)
    if fields.get("external_id") is not None:
        check_external_id_free(fields["external_id"], principal, except_id=contact.id)
    for name, value in fields.items():
        setattr(contact, name, value)
    if "phone" in fields or "postal_code" in fields:
        phone = describe(contact.phone, account.country)
        contact.line_type = phone.line_type
        contact.timezone, contact.alt_timezone = contact_zones(
            contact.postal_code, account.country, phone.timezone
        )
    if fields.keys() & {"phone", "postal_code", "attributes"}:
        contact.regions = contact_regions(
            contact.postal_code, contact.phone, account.country, state_attribute(contact.attributes)
        )


def check_external_id_free(external_id: str, principal: Principal, except_id: int | None) -> None:
    stmt = select(Contact.id).where(
        Contact.account_id == principal.account_id, Contact.external_id == external_id
    )
    existing = db.session.scalar(stmt)
    if existing is not None and existing != except_id:
        raise ApiError(
            409,
            f"A contact with external id {external_id} already exists.",
            details={"existing_id": existing},
        )


@operation(
    bp,
    "/contacts",
    "POST",
    summary="Create a contact",
    tag=TAG,
    body=ContactCreate,
    response=ContactOut,
    status=201,
    errors=(403, 409),
)
def create_contact(body: ContactCreate):
    """A new contact; its phone is normalised to E.164 with the account's country as default."""
    principal = current_principal()
    principal.require_manager()
    contact = Contact(account_id=principal.account_id)
    apply_contact_fields(contact, body.model_dump(), principal)
    db.session.add(contact)
    db.session.commit()
    return ContactOut.model_validate(contact)


def attribute_filters() -> dict[str, str]:
    filters = {
        key[len(ATTR_PREFIX) :]: value
        for key, value in request.args.items()
        if key.startswith(ATTR_PREFIX)
    }
    if "" in filters:
        message = "Name the attribute to filter on, e.g. attr.city=Lyon."
        raise invalid_field(f"query.{ATTR_PREFIX}", message, "attribute")
    return filters


def attribute_equals(name: str, value: str) -> ColumnElement[bool]:
    """The attribute's text ('Lyon', '2024', '1.5', 'true') is `value`, on both databases."""
    if not dialects.is_sqlite():
        return Contact.attributes[name].as_string() == value
    # SQLite's JSON paths cannot spell every name (quotes) and its json_extract turns true
    # into 1: read the attributes as rows instead.
    entries = func.json_each(Contact.attributes).table_valued("key", "value", "type")
    text = case(
        (entries.c.type.in_(("true", "false")), entries.c.type),
        else_=cast(entries.c.value, String),
    )
    return exists().where(entries.c.key == name, text == value)


def name_contains(text: str) -> ColumnElement[bool]:
    """`text` in the first or last name, any case; % and _ are plain characters."""
    return or_(
        Contact.first_name.icontains(text, autoescape=True),
        Contact.last_name.icontains(text, autoescape=True),
    )


@operation(
    bp,
    "/contacts",
    "GET",
    summary="List contacts",
    tag=TAG,
    query=ContactQuery,
    response=ContactPage,
    query_prefix=ATTR_PREFIX,
    extra_query=(ATTR_FILTER_DOC,),
)
def list_contacts(query: ContactQuery):
    """Contacts in creation order, a page at a time, with optional filters."""
    principal = current_principal()
    stmt = visible_contacts(principal)
    if query.seller_id is not None:
        stmt = stmt.where(Contact.seller_id == query.seller_id)
    if query.phone:
        stmt = stmt.where(
            Contact.phone == phone_for_account(query.phone, principal.user.account, "query.phone")
        )
    if query.q:
        stmt = stmt.where(name_contains(query.q))
    for name, value in attribute_filters().items():
        stmt = stmt.where(attribute_equals(name, value))
    rows, cursor = keyset_page(stmt, Contact.id, query)
    return ContactPage(items=[ContactOut.model_validate(r) for r in rows], next_cursor=cursor)


@operation(
    bp,
    "/contacts/<int:contact_id>",
    "GET",
    summary="Get a contact",
    tag=TAG,
    response=ContactOut,
    errors=(404,),
)
def get_contact(contact_id: int):
    """One contact; a seller's key sees only contacts assigned to that seller."""
    return ContactOut.model_validate(get_visible_contact(contact_id))


@operation(
    bp,
    "/contacts/<int:contact_id>",
    "PATCH",
    summary="Update a contact",
    tag=TAG,
    body=ContactUpdate,
    response=ContactOut,
    errors=(403, 404, 409),
)
def update_contact(contact_id: int, body: ContactUpdate):
    """Change the fields sent; `attributes`, when sent, replaces them all."""
    principal = current_principal()
    contact = get_visible_contact(contact_id)
    principal.require_manager()
    fields = body.model_dump(include=body.model_fields_set)
    reject_nulls(fields, ("phone", "attributes"))
    apply_contact_fields(contact, fields, principal)
    db.session.commit()
    return ContactOut.model_validate(contact)


@operation(
    bp,
    "/contacts/<int:contact_id>",
    "DELETE",
    summary="Delete a contact",
    tag=TAG,
    errors=(403, 404),
    status=204,
)
def delete_contact(contact_id: int):
    """Remove the contact and its personal data."""
    principal = current_principal()
    contact = get_visible_contact(contact_id)
    principal.require_manager()
    forget_contact(contact.account_id, contact.id)
    db.session.delete(contact)
    db.session.commit()
