"""Security headers on every response: a strict Content-Security-Policy, no framing, no MIME
sniffing, and no Referer leaving a page whose URL is its own authorisation.

Our pages hold no inline script, style or event handler (their code and styles are files under
`static/`; data for a script travels in `<script type="application/json">` blocks, which never
run), so the policy allows our own origin only, and neither 'unsafe-inline' nor 'unsafe-eval'.
A response that set a header itself keeps it (RQ's dashboard, which cannot run under this
policy, sets its own in `observability/rq_admin.py`). The Twilio webhooks that
`telephony.fastpath` serves before Flask send `WEBHOOK_HEADERS`: TwiML for the carrier, which
nothing may run, frame or sniff; no Referrer-Policy (no page, no link).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

# The blueprints whose URLs carry a secret token: the seller's recording page, the voicemail
# page and its audio, the signed recording files. A link followed from them, or a resource they
# load, must not learn the URL through Referer. A POST from such a page must send its origin
# alone (fetch's `referrerPolicy: "strict-origin"`, as studio.js does): over HTTPS, Flask-WTF's
# CSRF check refuses a POST without a same-origin Referer (the call-back page's form: a
# `<meta name="referrer" content="strict-origin">` of its own).
TOKEN_BLUEPRINTS = frozenset({"studio", "inbound_pages", "call_back_pages", "media"})
REFERRER_POLICY = "strict-origin-when-cross-origin"
TOKEN_REFERRER_POLICY = "no-referrer"

# Images: the dashboard's SVG chart is drawn in the DOM; data: for small icons. Media: the
# recording page plays the seller's take back from a blob: URL before sending it.
POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "media-src": ["'self'", "blob:"],
    "connect-src": ["'self'"],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
COMMON_HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"}
# A webhook's answer is TwiML for the carrier: nothing in it may run, nor be framed or sniffed.
WEBHOOK_HEADERS = [
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    *COMMON_HEADERS.items(),
]


@lru_cache(maxsize=8)
def content_security_policy(public_base_url: str | None) -> str:
    """The policy, allowing media and images from PUBLIC_BASE_URL's origin too (signed
    recording URLs are written with it, and a proxy may serve the pages under another name)."""
    sources = {name: list(values) for name, values in POLICY.items()}
    origin = origin_of(public_base_url)
    if origin:
        sources["media-src"].append(origin)
        sources["img-src"].append(origin)
    return policy_text(sources)


def policy_text(sources: dict[str, list[str]]) -> str:
    """A policy header's value from its directives."""
    return "; ".join(f"{name} {' '.join(values)}" for name, values in sources.items())


def origin_of(url: str | None) -> str | None:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """Every response Flask sends: pages, the API, static files, errors."""
    headers = response.headers
    policy = content_security_policy(current_app.config.get("PUBLIC_BASE_URL"))
    headers.setdefault("Content-Security-Policy", policy)
    for name, value in COMMON_HEADERS.items():
        headers.setdefault(name, value)
    token_page = request.blueprint in TOKEN_BLUEPRINTS
    headers.setdefault("Referrer-Policy", TOKEN_REFERRER_POLICY if token_page else REFERRER_POLICY)
    return response
