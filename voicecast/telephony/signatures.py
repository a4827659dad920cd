"""Twilio webhook authentication: `X-Twilio-Signature` checked against our public URL.

Twilio signs base64(HMAC-SHA1(auth token, URL it requested + each POST parameter name and
value, sorted)). It requested our PUBLIC address (`PUBLIC_BASE_URL`), which behind a TLS proxy
differs from what the WSGI server sees (http://127.0.0.1:8000/...): the URL is rebuilt from the
configured base, the request path and the raw query string, never from the Host header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar, cast
from urllib.parse import parse_qsl, quote

from flask import Request, Response, current_app, g, request
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator
from werkzeug.datastructures import MultiDict

from voicecast.constant_time import same_secret

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
# Characters werkzeug leaves unescaped when it builds a path (so `public_url` builds the same).
PATH_SAFE = "!$&'()*+,/:;=@"


def public_request_url(req: Request, public_base_url: str) -> str:
    """The URL the outside world used for `req`: public base + path + raw query string."""
    return public_url_of(req.path, req.query_string.decode("utf-8", "replace"), public_base_url)


def public_url_of(path: str, query: str, public_base_url: str) -> str:
    url = public_base_url.rstrip("/") + quote(path, safe=PATH_SAFE)
    return f"{url}?{query}" if query else url


def posted_params(req: Request) -> MultiDict[str, str]:
    """The POST parameters Twilio sent. Its form bodies are parsed straight from the bytes
    (werkzeug's general form parser costs several times more on this hot path)."""
    if req.method != "POST":
        return MultiDict()
    if req.mimetype == "application/x-www-form-urlencoded":
        return form_params(req.get_data(cache=True))
    return req.form


def form_params(body: bytes) -> MultiDict[str, str]:
    """An x-www-form-urlencoded body's parameters, as Twilio sends them."""
    return MultiDict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def signature_is_valid(
    req: Request, auth_token: str, public_base_url: str, params: MultiDict[str, str]
) -> bool:
    """True when `req` carries Twilio's signature for it and its `params`, made with
    `auth_token`.

    An empty token validates nothing. POST parameters are signed; other methods sign the URL
    only (their parameters are in the query string, which is part of it). The URL as configured
    is checked first; twilio's validator then tries its other spellings (with or without the
    port).
    """
    signature = req.headers.get(SIGNATURE_HEADER, "")
    url = public_request_url(req, public_base_url)
    return signature_matches(url, params, signature, auth_token)


def signature_matches(
    url: str, params: MultiDict[str, str], signature: str, auth_token: str
) -> bool:
    """Whether `signature` is Twilio's for a request to `url` with `params`."""
    if not auth_token or not signature:
        return False
    if same_secret(compute_signature(url, params, auth_token), signature):
        return True
    return RequestValidator(auth_token).validate(url, params, signature)


def compute_signature(url: str, params: MultiDict[str, str], auth_token: str) -> str:
    """Twilio's signature of a POST to `url` with `params`: what twilio's RequestValidator
    computes, in half its time (it runs on every webhook)."""
    signed = [url]
    for name in sorted(params):
        for value in sorted(set(params.getlist(name))):
            signed.append(name)
            signed.append(value)
    mac = _hmac_of(auth_token).copy()
    mac.update("".join(signed).encode())
    return base64.b64encode(mac.digest()).decode()


@lru_cache(maxsize=8)
def _hmac_of(auth_token: str) -> hmac.HMAC:
    return hmac.new(auth_token.encode(), digestmod=hashlib.sha1)


def refusal_reason(auth_token: str, signature: str | None) -> str:
    if not auth_token:
        return "TWILIO_AUTH_TOKEN is not set"
    return "no signature" if signature is None else "signature does not match"


FORBIDDEN = "Invalid or missing Twilio signature.\n"


def forbidden() -> Response:
    return Response(FORBIDDEN, 403, mimetype="text/plain")


def require_twilio_signature(view: F) -> F:
    """Refuse (403) a request to `view` unless Twilio signed it with TWILIO_AUTH_TOKEN."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        config = current_app.config
        token = config.get("TWILIO_AUTH_TOKEN") or ""
        g.twilio_params = params = posted_params(request)
        if not signature_is_valid(request, token, config["PUBLIC_BASE_URL"], params):
            reason = refusal_reason(token, request.headers.get(SIGNATURE_HEADER))
            log.warning("refused webhook %s %s: %s", request.method, request.path, reason)
            return forbidden()
        return view(*args, **kwargs)

    return cast(F, checked)
