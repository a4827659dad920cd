"""The Twilio webhooks served straight from WSGI, in front of Flask.

A call sends five or six webhooks, so they are the service's busiest requests, and Flask's request
machinery (request and response objects, routing, hooks, sessions) costs more CPU than the work
they do. This middleware answers the form POSTs to
`/twilio/attempts/<id>/answer|status|amd|held|optout|played` (`routes.REPLIES`)
itself, inside an application context, with the same signature check and the same handlers as the
Flask routes in `routes.py`; anything else (another path, method or content type) goes on to
Flask unchanged.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from flask import Flask
from werkzeug.datastructures import MultiDict

from voicecast.extensions import db
from voicecast.observability.metrics import WEBHOOK_SECONDS, observe
from voicecast.telephony.routes import REPLIES, Reply, with_url_params
from voicecast.telephony.signatures import (
    FORBIDDEN,
    form_params,
    public_url_of,
    refusal_reason,
    signature_matches,
)
from voicecast.web.headers import WEBHOOK_HEADERS

log = logging.getLogger(__name__)
ROUTE = re.compile(r"/twilio/attempts/([0-9]{1,12})/(" + "|".join(REPLIES) + ")")
FORM = "application/x-www-form-urlencoded"
MAX_BODY_BYTES = 64 * 1024  # Twilio's callbacks are a few hundred bytes
STATUS_TEXT = {200: "200 OK", 204: "204 No Content", 403: "403 Forbidden", 404: "404 Not Found",
               413: "413 Content Too Large", 500: "500 Internal Server Error"}  # fmt: skip

HOOKS = {"answer": "twilio.answer", "status": "twilio.status", "amd": "twilio.amd_verdict",
         "held": "twilio.held", "optout": "twilio.opt_out",
         "played": "twilio.message_played"}  # fmt: skip

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class TwilioWebhooks:
    """WSGI middleware serving the Twilio webhooks of `app` without Flask's request layer."""

    def __init__(self, app: Flask, wsgi_app: WSGIApp) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        match = ROUTE.fullmatch(environ.get("PATH_INFO", ""))
        content_type = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
        if match is None or environ.get("REQUEST_METHOD") != "POST" or content_type != FORM:
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        status, mimetype, body = self.reply(environ, int(match[1]), match[2])
        observe(WEBHOOK_SECONDS, time.perf_counter() - started, HOOKS[match[2]], app=self.app)
        data = body.encode()
        start_response(
            STATUS_TEXT[status],
            [
                ("Content-Type", f"{mimetype}; charset=utf-8"),
                ("Content-Length", str(len(data))),
                *WEBHOOK_HEADERS,
            ],
        )
        return [data]

    def reply(self, environ: dict[str, Any], attempt_id: int, kind: str) -> Reply:
        length = environ.get("CONTENT_LENGTH") or "0"
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            return 413, "text/plain", "A webhook body is a small form.\n"
        params = form_params(environ["wsgi.input"].read(int(length)))
        with self.app.app_context():
            try:
                if not self.signed(environ, params):
                    return 403, "text/plain", FORBIDDEN
                query = parse_qs(environ.get("QUERY_STRING", ""))
                with_url_params(params, lambda name: query.get(name, []))
                return REPLIES[kind](attempt_id, params)
            except Exception:
                log.exception("webhook %s failed", environ.get("PATH_INFO"))
                return 500, "text/plain", "Internal Server Error\n"
            finally:
                db.session.remove()

    def signed(self, environ: dict[str, Any], params: MultiDict[str, str]) -> bool:
        config = self.app.config
        token = config.get("TWILIO_AUTH_TOKEN") or ""
        signature = environ.get("HTTP_X_TWILIO_SIGNATURE")
        path, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
        url = public_url_of(path, query, config["PUBLIC_BASE_URL"])
        if signature_matches(url, params, signature or "", token):
            return True
        reason = refusal_reason(token, signature)
        log.warning("refused webhook POST %s: %s", environ.get("PATH_INFO"), reason)
        return False
