"""The account's phone numbers: where customers call back. A number is a seller's own line
(`seller_id`) or a shared line; either way its calls come to `/twilio/voice`."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy import select

from voicecast.api import bp
from voicecast.api.auth import current_principal
from voicecast.api.queries import keyset_page, one_or_404
from voicecast.api.schemas import Id, Input, Output, PageQuery, PhoneInput
from voicecast.api.spec import operation
from voicecast.callbacks.lines import claimable_number
from voicecast.errors import ApiError, invalid_field
from voicecast.extensions import db
from voicecast.models import PhoneNumber, Role, User
from voicecast.people import phone_for_account
from voicecast.rules.caller_id import number_problem

TAG = "Numbers"
SELLER_HELP = "The seller whose own line it is (their drops show it); null: a shared line."


class NumberCreate(Input):
    number: PhoneInput = Field(description="A number of the account's Twilio account.")
    seller_id: Id | None = Field(default=None, description=SELLER_HELP)
    friendly_name: str | None = Field(default=None, max_length=100)


class NumberUpdate(Input):
    seller_id: Id | None = Field(default=None, description=SELLER_HELP)
    friendly_name: str | None = Field(default=None, max_length=100)


class NumberOut(Output):
    id: int
    number: str
    kind: str = Field(description="seller: a seller's own line; shared: the account's.")
    seller_id: int | None
    friendly_name: str | None
    carrier_sid: str | None
    sms_capable: bool | None = Field(
        description="Twilio's SMS capability of the number (read by `voicecast numbers sync`); "
        "null: not read yet."
    )
    created_at: datetime


class NumberPage(Output):
    items: list[NumberOut]
    next_cursor: str | None


def account_numbers():
    principal = current_principal()
    principal.require_manager()
    return select(PhoneNumber).where(PhoneNumber.account_id == principal.account_id)


def get_number(number_id: int) -> PhoneNumber:
    return one_or_404(account_numbers().where(PhoneNumber.id == number_id), "number")


def assign_seller(line: PhoneNumber, seller_id: int | None) -> None:
    """Make `line` `seller_id`'s own line (one line per seller), or a shared one."""
    if seller_id is not None:
        seller = db.session.scalar(
            select(User).where(
                User.id == seller_id,
                User.account_id == line.account_id,
                User.role == Role.SELLER,
            )
        )
        if seller is None:
            raise invalid_field("body.seller_id", "No such seller in the account.", "seller")
        taken = db.session.scalar(
            select(PhoneNumber.number).where(
                PhoneNumber.seller_id == seller_id, PhoneNumber.id != line.id
            )
        )
        if taken is not None:
            raise ApiError(409, f"This seller already has a line of their own: {taken}.")
        problem = number_problem(seller.account, line.number)
        if problem:
            raise invalid_field("body.seller_id", problem, "caller_id")
    line.seller_id = seller_id


@operation(bp, "/numbers", "POST", summary="Register a number", tag=TAG, body=NumberCreate,
           response=NumberOut, status=201, errors=(403, 409, 422))  # fmt: skip
def create_number(body: NumberCreate):
    """Registers a number the account holds at Twilio; point its voice URL at
    `{PUBLIC_BASE_URL}/twilio/voice` (the `voicecast numbers sync` command does it)."""
    principal = current_principal()
    principal.require_manager()
    number = phone_for_account(body.number, principal.user.account, "body.number")
    if claimable_number(principal.account_id, number) is not None:
        raise ApiError(409, f"{number} is already registered.")
    line = PhoneNumber(
        account_id=principal.account_id, number=number, friendly_name=body.friendly_name
    )
    db.session.add(line)
    assign_seller(line, body.seller_id)
    db.session.commit()
    return NumberOut.model_validate(line)


@operation(bp, "/numbers", "GET", summary="List the numbers", tag=TAG, query=PageQuery,
           response=NumberPage, errors=(403,))  # fmt: skip
def list_numbers(query: PageQuery):
    """Oldest first."""
    rows, cursor = keyset_page(account_numbers(), PhoneNumber.id, query)
    return NumberPage(items=[NumberOut.model_validate(row) for row in rows], next_cursor=cursor)


@operation(bp, "/numbers/<int:number_id>", "GET", summary="Get a number", tag=TAG,
           response=NumberOut, errors=(403, 404))  # fmt: skip
def get_number_view(number_id: int):
    """One of the account's numbers."""
    return NumberOut.model_validate(get_number(number_id))


@operation(bp, "/numbers/<int:number_id>", "PATCH", summary="Change a number", tag=TAG,
           body=NumberUpdate, response=NumberOut, errors=(403, 404, 409, 422))  # fmt: skip
def update_number(number_id: int, body: NumberUpdate):
    """Give the line to a seller (`seller_id`), make it shared (`seller_id: null`), rename it."""
    line = get_number(number_id)
    fields = body.model_dump(include=body.model_fields_set)
    if "seller_id" in fields:
        assign_seller(line, fields["seller_id"])
    if "friendly_name" in fields:
        line.friendly_name = fields["friendly_name"]
    db.session.commit()
    return NumberOut.model_validate(line)


@operation(bp, "/numbers/<int:number_id>", "DELETE", summary="Unregister a number", tag=TAG,
           errors=(403, 404))  # fmt: skip
def delete_number(number_id: int):
    """Its callbacks are no longer answered (calls to it hear that it is not in service); the
    records of past callbacks stay."""
    db.session.delete(get_number(number_id))
    db.session.commit()
