"""Models shared by every API resource: the error shape, paging and input conventions."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from voicecast.errors import ApiError

MAX_PAGE = 500


class Input(BaseModel):
    """A JSON body: unknown fields and loose types are refused, not guessed at."""

    model_config = ConfigDict(extra="forbid", strict=True)


class QueryInput(BaseModel):
    """A query string: values arrive as text, so they are converted, but unknown keys refused."""

    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


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
            raise ApiError(
                422,
                "The cursor is not one we issued; use next_cursor from the previous page.",
                details=[{"field": "query.cursor", "message": "invalid cursor", "type": "cursor"}],
            ) from None
        return max(value, 0)


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")
