"""Turning request bodies and query strings into validated pydantic models, or clear 4xx errors."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from flask import current_app, request
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from voicecast.errors import ApiError, invalid_field

M = TypeVar("M", bound=BaseModel)


def validation_details(error: ValidationError, where: str, model: type[BaseModel]) -> list[dict]:
    """Pydantic's errors as `[{"field", "message", "type"}]`, with words a client can act on."""
    details = []
    for item in error.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in (where, *item["loc"]))
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = f"Unknown field. Allowed fields: {', '.join(sorted(model.model_fields))}."
        details.append({"field": field, "message": message, "type": item["type"]})
    return details


def read_json_body(limit: int) -> bytes:
    if request.mimetype != "application/json":
        raise ApiError(415, "Send the request body as JSON with 'Content-Type: application/json'.")
    if request.content_length is not None and request.content_length > limit:
        raise_too_large(limit)
    # Also bounds bodies sent without a Content-Length (chunked). Werkzeug stops reading at the
    # maximum without a word, so read one byte more to tell a body over the limit.
    request.max_content_length = limit + 1
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise_too_large(limit)
    if len(data) > limit:
        raise_too_large(limit)
    return data


def raise_too_large(limit: int):
    raise ApiError(413, f"The JSON body is larger than {limit} bytes.", details={"limit": limit})


NUL_PATTERN = "\\u0000"  # the document's pattern for a text holding NUL (openapi.without_nul)


def find_nul(value: object, where: str) -> str | None:
    """The field at or under `where` whose text holds a NUL character, if any."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = find_nul(key, where) or find_nul(item, f"{where}.{key}")
            if found:
                return found
    if isinstance(value, list):
        return next(filter(None, (find_nul(item, where) for item in value)), None)
    return None


def reject_nul_characters(value: object, where: str) -> None:
    """PostgreSQL cannot store the NUL character: refuse it in any text, as a 422."""
    field = find_nul(value, where)
    if field is not None:
        raise invalid_field(field, "Text may not contain the NUL character (\\u0000).", "nul")


def parse_body(model: type[M]) -> M:
    body = validate_body(model, read_json_body(current_app.config["API_MAX_JSON_BYTES"]))
    reject_nul_characters(body.model_dump(exclude_unset=True, warnings=False), "body")
    return body


def validate_body(model: type[M], raw: bytes) -> M:
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors()):
            reason = error.errors()[0]["msg"]
            raise ApiError(
                400, f"The body is not valid JSON: {reason}", code="invalid_json"
            ) from None
        if not any(is_integral_float(item) for item in error.errors()):
            raise body_error(error, model) from None
    try:  # JSON has one kind of number: 30.0 is the integer 30, as in the OpenAPI document
        return model.model_validate_json(json.dumps(integral_floats_as_ints(json.loads(raw))))
    except ValidationError as error:
        raise body_error(error, model) from None


def body_error(error: ValidationError, model: type[BaseModel]) -> ApiError:
    return ApiError(
        422, "The body has invalid fields.", details=validation_details(error, "body", model)
    )


def is_integral_float(item: ErrorDetails) -> bool:
    """An integer field refused a number written with a fraction of zero (30.0)."""
    value = item.get("input")
    return item["type"] == "int_type" and isinstance(value, float) and value.is_integer()


def integral_floats_as_ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: integral_floats_as_ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [integral_floats_as_ints(item) for item in value]
    return value


def parse_query(model: type[M], skip_prefix: str | None = None) -> M:
    """Validate the query string; keys starting with `skip_prefix` are left to the caller."""
    reject_nul_characters({key: request.args.getlist(key) for key in request.args}, "query")
    args = {
        key: value
        for key, value in request.args.items()
        if not (skip_prefix and key.startswith(skip_prefix))
    }
    try:
        return model.model_validate(args)
    except ValidationError as error:
        raise ApiError(
            422,
            "The query string has invalid parameters.",
            details=validation_details(error, "query", model),
        ) from None


def reject_nulls(fields: dict[str, object], names: tuple[str, ...]) -> None:
    """A PATCH may omit these fields but may not set them to null."""
    for name in names:
        if name in fields and fields[name] is None:
            raise invalid_field(f"body.{name}", f"{name} cannot be null.", "null")


UPLOAD_FIELD = "file"


def parse_upload(model: type[M]) -> tuple[M, FileStorage]:
    """A multipart upload: its text fields validated by `model`, and its `file` part."""
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "Send the file as multipart/form-data with a part named 'file'.")
    try:
        upload = request.files.get(UPLOAD_FIELD)
        fields = request.form.to_dict()
    except RequestEntityTooLarge:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        raise ApiError(413, f"The upload is larger than {limit} bytes.", code="too_large") from None
    if upload is None:
        raise invalid_field(
            f"body.{UPLOAD_FIELD}", "Attach the file as a part named 'file'.", "missing"
        )
    try:
        return model.model_validate(fields), upload
    except ValidationError as error:
        raise ApiError(
            422, "The form has invalid fields.", details=validation_details(error, "body", model)
        ) from None
