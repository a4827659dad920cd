"""Sellers: the people whose voice customers hear and whose phone rings on callbacks."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy import Select, select

from voicecast.api import bp
from voicecast.api.auth import Principal, current_principal
from voicecast.api.campaign_schemas import CallingWindow
from voicecast.api.queries import keyset_page, one_or_404
from voicecast.api.schemas import Email, Input, Name, Output, PageQuery, PhoneInput, not_null
from voicecast.api.spec import operation
from voicecast.api.validation import reject_nulls
from voicecast.callbacks.lines import set_seller_line
from voicecast.errors import ApiError, invalid_field
from voicecast.extensions import db
from voicecast.models import Role, User
from voicecast.people import email_taken, phone_for_account
from voicecast.rules.caller_id import number_problem

TAG = "Sellers"
UNCHANGED = object()
HOURS_HELP = (
    "When callbacks may ring the seller, in the account's time zone; outside them callers "
    "leave a voicemail. null: at any time."
)


class SellerCreate(Input):
    name: Name
    email: Email | None = None
    phone: PhoneInput | None = Field(
        default=None, description="Where callbacks ring the seller; E.164 or national."
    )
    callback_number: PhoneInput | None = Field(
        default=None,
        description="The seller's own callback line (a number of the account's Twilio "
        "account), shown as caller ID on their drops.",
    )
    available_hours: CallingWindow | None = Field(default=None, description=HOURS_HELP)


class SellerUpdate(Input):
    name: Name = not_null()
    email: Email | None = None
    phone: PhoneInput | None = None
    callback_number: PhoneInput | None = None
    available_hours: CallingWindow | None = Field(default=None, description=HOURS_HELP)
    active: bool = not_null()


class SellerOut(Output):
    id: int
    name: str
    email: str | None
    phone: str | None
    callback_number: str | None
    available_hours: dict | None
    active: bool
    created_at: datetime
    updated_at: datetime


class SellerPage(Output):
    items: list[SellerOut]
    next_cursor: str | None


class SellerQuery(PageQuery):
    active: bool | None = Field(default=None, description="Only active (true) or inactive.")


def visible_sellers(principal: Principal) -> Select[tuple[User]]:
    """Sellers the caller may see: the whole account for managers, only oneself for a seller."""
    stmt = select(User).where(User.account_id == principal.account_id, User.role == Role.SELLER)
    if not principal.is_manager:
        stmt = stmt.where(User.id == principal.user.id)
    return stmt


def get_visible_seller(seller_id: int) -> User:
    return one_or_404(visible_sellers(current_principal()).where(User.id == seller_id), "seller")


def apply_seller_fields(seller: User, fields: dict, principal: Principal) -> None:
    if "email" in fields and fields["email"] and email_taken(fields["email"], except_id=seller.id):
        raise ApiError(409, "This email is already used by another user.")
    account = principal.user.account
    if "phone" in fields:
        fields["phone"] = phone_for_account(fields["phone"], account, "body.phone")
    line = fields.pop("callback_number", UNCHANGED)
    if line is not UNCHANGED:
        line = phone_for_account(line, account, "body.callback_number")
        problem = number_problem(account, line)
        if problem:
            raise invalid_field("body.callback_number", problem, "caller_id")
    if "available_hours" in fields and fields["available_hours"] is not None:
        fields["available_hours"] = dict(fields["available_hours"])
    for name, value in fields.items():
        setattr(seller, name, value)
    db.session.add(seller)
    if line is not UNCHANGED:
        set_seller_line(seller, line)


@operation(
    bp,
    "/sellers",
    "POST",
    summary="Create a seller",
    tag=TAG,
    body=SellerCreate,
    response=SellerOut,
    status=201,
    errors=(403, 409),
)
def create_seller(body: SellerCreate):
    """A new seller in the caller's account (managers and admins)."""
    principal = current_principal()
    principal.require_manager()
    seller = User(account_id=principal.account_id, role=Role.SELLER, active=True)
    apply_seller_fields(seller, body.model_dump(), principal)
    db.session.commit()
    return SellerOut.model_validate(seller)


@operation(
    bp, "/sellers", "GET", summary="List sellers", tag=TAG, query=SellerQuery, response=SellerPage
)
def list_sellers(query: SellerQuery):
    """Sellers of the account in creation order; a seller's key lists only itself."""
    stmt = visible_sellers(current_principal())
    if query.active is not None:
        stmt = stmt.where(User.active == query.active)
    rows, cursor = keyset_page(stmt, User.id, query)
    return SellerPage(items=[SellerOut.model_validate(r) for r in rows], next_cursor=cursor)


@operation(
    bp,
    "/sellers/<int:seller_id>",
    "GET",
    summary="Get a seller",
    tag=TAG,
    response=SellerOut,
    errors=(404,),
)
def get_seller(seller_id: int):
    """One seller of the account."""
    return SellerOut.model_validate(get_visible_seller(seller_id))


@operation(
    bp,
    "/sellers/<int:seller_id>",
    "PATCH",
    summary="Update a seller",
    tag=TAG,
    body=SellerUpdate,
    response=SellerOut,
    errors=(403, 404, 409),
)
def update_seller(seller_id: int, body: SellerUpdate):
    """Change the fields sent; others stay as they are. `phone: null` removes the phone."""
    principal = current_principal()
    seller = get_visible_seller(seller_id)
    principal.require_manager()
    fields = body.model_dump(include=body.model_fields_set)
    reject_nulls(fields, ("name", "active"))
    apply_seller_fields(seller, fields, principal)
    db.session.commit()
    return SellerOut.model_validate(seller)


@operation(
    bp,
    "/sellers/<int:seller_id>/deactivate",
    "POST",
    summary="Deactivate a seller",
    tag=TAG,
    response=SellerOut,
    errors=(403, 404),
)
def deactivate_seller(seller_id: int):
    """The seller keeps their history but can no longer use their API keys; reversible with
    `PATCH {"active": true}`."""
    principal = current_principal()
    seller = get_visible_seller(seller_id)
    principal.require_manager()
    seller.active = False
    db.session.commit()
    return SellerOut.model_validate(seller)
