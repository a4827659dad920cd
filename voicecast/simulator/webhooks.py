"""HTTP requests from the simulated carrier to our app: signed webhooks and audio downloads."""

from __future__ import annotations

import http.client
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

from twilio.request_validator import RequestValidator

USER_AGENT = "TwilioProxy/1.1 (voicecast carrier simulator)"
MAX_TWIML_BYTES = 64 * 1024
MAX_AUDIO_BYTES = 64 * 1024 * 1024

# Never through a proxy: the simulator talks to the app on this machine.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class HttpResult:
    """What came back: `status` None means no HTTP answer at all (see `error`)."""

    url: str
    method: str
    status: int | None
    body: bytes
    content_type: str
    elapsed_seconds: float
    error: str | None = None
    cache_control: str = ""

    @property
    def max_age(self) -> float:
        """How long the response may be reused (Cache-Control max-age; 0 if it must not be)."""
        directives = [part.strip().lower() for part in self.cache_control.split(",")]
        if {"no-store", "no-cache", "private"} & set(directives):
            return 0.0
        for directive in directives:
            name, _, value = directive.partition("=")
            if name == "max-age" and value.strip().isdigit():
                return float(value)
        return 0.0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def signed_request(
    url: str,
    params: Mapping[str, str],
    auth_token: str,
    method: str = "POST",
    timeout: float = 15.0,
    limit: int = MAX_TWIML_BYTES,
) -> HttpResult:
    """Send `params` to `url` as Twilio does, signed with `X-Twilio-Signature`.

    POST sends a form body and signs URL + sorted params; GET appends the params to the query
    string and signs that full URL alone.
    """
    method = method.upper() if method.upper() in {"GET", "POST"} else "POST"
    encoded = urllib.parse.urlencode(params)
    data: bytes | None = None
    if method == "GET":
        url = url + ("&" if "?" in url else "?") + encoded if params else url
        signed_params: Mapping[str, str] = {}
    else:
        data = encoded.encode()
        signed_params = params
    signature = RequestValidator(auth_token).compute_signature(url, dict(signed_params))
    headers = {
        "X-Twilio-Signature": signature,
        "I-Twilio-Idempotency-Token": secrets.token_hex(16),
        "User-Agent": USER_AGENT,
        "Accept": "*/*",
    }
    if data is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    return fetch(url, method, headers, data, timeout, limit)


def download(url: str, timeout: float = 15.0, limit: int = MAX_AUDIO_BYTES) -> HttpResult:
    """A plain GET with no credentials, as Twilio fetches `<Play>` media."""
    return fetch(url, "GET", {"User-Agent": USER_AGENT, "Accept": "*/*"}, None, timeout, limit)


def fetch(
    url: str,
    method: str,
    headers: dict[str, str],
    data: bytes | None,
    timeout: float,
    limit: int,
) -> HttpResult:
    """Send one request; never raises for network or HTTP errors."""
    started = time.monotonic()

    def result(
        status: int | None, body: bytes, ctype: str, error: str | None, cache: str = ""
    ) -> HttpResult:
        elapsed = time.monotonic() - started
        return HttpResult(url, method, status, body, ctype, elapsed, error, cache)

    if urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
        return result(None, b"", "", f"not an http(s) URL: {url!r}")
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with _opener.open(request, timeout=timeout) as response:
            body = response.read(limit + 1)
            ctype = response.headers.get("Content-Type", "")
            too_big = f"body larger than {limit} bytes" if len(body) > limit else None
            cache = response.headers.get("Cache-Control", "")
            return result(response.status, body[:limit], ctype, too_big, cache)
    except urllib.error.HTTPError as error:
        with error:
            body = error.read(limit)
            ctype = error.headers.get("Content-Type", "") if error.headers else ""
        return result(error.code, body, ctype, f"HTTP {error.code}")
    except (OSError, http.client.HTTPException, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        return result(None, b"", "", f"{type(error).__name__}: {reason}")
