"""Twilio webhook authentication: `X-Twilio-Signature` checked against our public URL.

Twilio signs base64(HMAC-SHA1(auth token, URL it requested + each POST parameter name and
value, sorted)). It requested our PUBLIC address (`PUBLIC_BASE_URL`), which behind a TLS proxy
differs from what the WSGI server sees (http://127.0.0.1:8000/...): the URL is rebuilt from the
configured base, the request path and the raw query string, never from the Host header.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import quote

from flask import Request, Response, current_app, request
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
# Characters werkzeug leaves unescaped when it builds a path (so `public_url` builds the same).
PATH_SAFE = "!$&'()*+,/:;=@"


def public_request_url(req: Request, public_base_url: str) -> str:
    """The URL the outside world used for `req`: public base + path + raw query string."""
    url = public_base_url.rstrip("/") + quote(req.path, safe=PATH_SAFE)
    query = req.query_string.decode("utf-8", "replace")
    return f"{url}?{query}" if query else url


def signature_is_valid(req: Request, auth_token: str, public_base_url: str) -> bool:
    """True when `req` carries Twilio's signature for it, made with `auth_token`.

    An empty token validates nothing. POST parameters are signed; other methods sign the URL
    only (their parameters are in the query string, which is part of it).
    """
    signature = req.headers.get(SIGNATURE_HEADER, "")
    if not auth_token or not signature:
        return False
    params = req.form if req.method == "POST" else {}
    url = public_request_url(req, public_base_url)
    return RequestValidator(auth_token).validate(url, params, signature)


def forbidden() -> Response:
    return Response("Invalid or missing Twilio signature.\n", 403, mimetype="text/plain")


def require_twilio_signature(view: F) -> F:
    """Refuse (403) a request to `view` unless Twilio signed it with TWILIO_AUTH_TOKEN."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        config = current_app.config
        token = config.get("TWILIO_AUTH_TOKEN") or ""
        if not signature_is_valid(request, token, config["PUBLIC_BASE_URL"]):
            log.warning(
                "refused webhook %s %s: %s",
                request.method,
                request.path,
                "TWILIO_AUTH_TOKEN is not set"
                if not token
                else "no signature"
                if SIGNATURE_HEADER not in request.headers
                else "signature does not match",
            )
            return forbidden()
        return view(*args, **kwargs)

    return cast(F, checked)
