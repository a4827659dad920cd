"""Models shared by every API resource: the error shape, paging and input conventions."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from voicecast.errors import ApiError, invalid_field

MAX_PAGE = 500
# Ids are 32-bit integers in PostgreSQL: a larger number names no row (and would not bind).
MAX_ID = 2**31 - 1


# Why a request the OpenAPI document calls valid may still get a 422: what a JSON schema does
# not state (the account's rows, the numbering plan, an order between two fields). Such a 422's
# details carry one of these types; any other 422 is for a request the document refuses too.
UNSTATED_RULES = {
    "user": "user_id names no user of the account",
    "seller": "seller_id names no seller of the account, or a manager's upload names none",
    "segment": "segment_id names no segment of the account",
    "contact": "contact_ids name contacts that are not the account's",
    "recording": "recording_id names no ready recording of the account, or goes with "
    "message_policy per_seller",
    "caller_id": "the account's preset forbids this number as caller ID",
    "no_preset": "the account has no calling-rule preset to narrow",
    "timezone": "the time zone is not one of the tz database's names",
    "sms_sender": "the SMS sender cannot send for the account: an alphanumeric ID longer than "
    "11 characters or in a country that refuses them, or a number that is not the account's, "
    "is French, or has no SMS capability",
    "wider_than_preset": "the change would widen the calling rules of the account's preset",
    "cursor": "the cursor is not one the API issued",
    "phone": "the number is not valid in its country's numbering plan (format phone)",
    "url": "the webhook's host is private or local, or its IPv6 address is no address",
    "window": "a calling window's start is not before its end",
    "step": "step_id names no journey step the seller is asked to record, or goes without "
    "purpose journey_step (which needs one)",
    "occurred_at": "an outcome's occurred_at is after now, or before 2000",
    "offset": "a journey step's offset is more than 120 months or 10 years either way",
    "file": "the uploaded file is not a readable text file, or a registry scrub holds no US "
    "number and names no area code",
    "country": "the National Do Not Call registry's scrubs are for US accounts only",
    "future_date": "a registry scrub's download day is after today in the account's zone",
    "filter": "the segment filter breaks its grammar (see the filter's description)",
    "mapping": "the import's mapping is not a JSON object of strings",
    "nul": "a text inside a free-form value (a segment filter) holds the NUL character, "
    "which the database cannot store (the document refuses it in every other text)",
}


class Input(BaseModel):
    """A JSON body: unknown fields and loose types are refused, not guessed at."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def exactly_one_of(*names: str) -> Callable[[dict[str, Any]], None]:
    """The JSON schema's side of `check_exactly_one`: one of `names` given, and not null."""

    def add(schema: dict[str, Any]) -> None:
        schema["oneOf"] = [
            {"required": [name], "properties": {name: {"not": {"type": "null"}}}} for name in names
        ]

    return add


def check_exactly_one(model: BaseModel, *names: str) -> None:
    """Refuse a body that gives none or several of `names` (null counts as not given)."""
    if sum(getattr(model, name) is not None for name in names) != 1:
        raise ValueError(f"give exactly one of {', '.join(names)} (not null)")


class QueryInput(BaseModel):
    """A query string: values arrive as text, so they are converted, but unknown keys refused."""

    model_config = ConfigDict(extra="forbid")


def drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def not_null(**field_options: Any) -> Any:
    """A PATCH field that may be left out but not set to null. Its default, None, only means "not
    sent", so the schema shows none (a null default would contradict the field's type)."""
    return Field(default=None, json_schema_extra=drop_default, **field_options)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# A name holds something besides spaces (the document says so too: spaces are stripped first).
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"\S")
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]


class Format:
    """Names a string's format in the JSON schema (a rule the view checks past the pattern)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["format"] = self.name
        return schema


# The numbering plan (`people.phone_for_account`) is the `phone` format; the pattern its shape.
PhoneInput = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=32, pattern=r"^\+?[0-9 ().-]+$"
    ),
    Format("phone"),
    Field(
        description="A phone number valid in its country's numbering plan (format `phone`), "
        "E.164 (+33612345678) or national for the account's country (06 12 34 56 78)."
    ),
]


class ErrorDetail(Output):
    code: str = Field(description="Stable machine-readable code, e.g. validation_error.")
    message: str = Field(description="What went wrong and what to fix.")
    details: Any = Field(default=None, description="Per-field problems or extra facts.")


class ErrorOut(Output):
    error: ErrorDetail


class PageQuery(QueryInput):
    limit: int = Field(default=50, ge=1, le=MAX_PAGE, description="Items per page.")
    cursor: str | None = Field(default=None, description="`next_cursor` of the previous page.")

    def after_id(self) -> int:
        """The last id of the previous page, decoded from the opaque cursor."""
        if not self.cursor:
            return 0
        try:
            value = int(base64.urlsafe_b64decode(self.cursor.encode() + b"==").decode())
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise invalid_cursor() from None
        if value > MAX_ID:
            raise invalid_cursor()
        return max(value, 0)


def invalid_cursor() -> ApiError:
    message = "The cursor is not one we issued; use next_cursor from the previous page."
    return invalid_field("query.cursor", message, "cursor")


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")
