"""Error responses. The API answers JSON with a stable shape; the web pages answer HTML.

The shape is `{"error": {"code": str, "message": str, "details": list | dict | null}}`.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

API_PREFIX = "/api/"

# Stable machine-readable codes for the HTTP errors the API can answer.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(HTTPException):
    """An API failure with its own code, message and details; raise it from any API view."""

    def __init__(self, status: int, message: str, code: str | None = None, details: Any = None):
        super().__init__(description=message)
        self.code = status
        self.error_code = code or CODES.get(status, "error")
        self.details = details


def invalid_field(field: str, message: str, kind: str) -> ApiError:
    """A 422 about one field, in the same shape as pydantic's errors."""
    return ApiError(422, message, details=[{"field": field, "message": message, "type": kind}])


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def api_error_response(error: HTTPException) -> Response:
    status = error.code or 500
    code = getattr(error, "error_code", None) or CODES.get(status, "error")
    response = jsonify(error_body(code, error.description or "", getattr(error, "details", None)))
    response.status_code = status
    for name, value in error.get_headers():
        if name.lower() == "allow":  # 405 says which methods the URL takes
            response.headers["Allow"] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="voicecast"'
    return response


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def handle_http_exception(error: HTTPException):
    if is_api_request():
        return api_error_response(error)
    return render_template("error.html", error=error), error.code or 500


def handle_unexpected(error: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return handle_http_exception(InternalServerError("Something went wrong on our side."))


def handle_row_gone(error: StaleDataError | ObjectDeletedError):
    """A row this request was changing or reading back was deleted by another request
    meanwhile (a contact deleted while its consent was being withdrawn): it is gone, as if this
    request had come a moment later, so 404 rather than 500."""
    from voicecast.extensions import db

    db.session.rollback()
    log.info("%s %s: its row was deleted meanwhile (%s)", request.method, request.path, error)
    return handle_http_exception(ApiError(404, "It was deleted meanwhile, by another request."))


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(StaleDataError, handle_row_gone)
    app.register_error_handler(ObjectDeletedError, handle_row_gone)
    app.register_error_handler(Exception, handle_unexpected)
