"""Models shared by every API resource: the error shape, paging and input conventions."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from voicecast.errors import ApiError, invalid_field

MAX_PAGE = 500
# Ids are 32-bit integers in PostgreSQL: a larger number names no row (and would not bind).
MAX_ID = 2**31 - 1


class Input(BaseModel):
    """A JSON body: unknown fields and loose types are refused, not guessed at."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


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
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]
PhoneInput = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=32),
    Field(description="A phone number, E.164 (+33612345678) or national (06 12 34 56 78)."),
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
