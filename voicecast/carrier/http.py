"""twilio-python's HTTP client, sending every request to TWILIO_API_URL instead of twilio.com.

twilio-python builds absolute `https://api.twilio.com/2010-04-01/...` URLs; `RebasedHttpClient`
swaps the scheme and host (and any path prefix) for the configured base, so the same, real
client speaks to Twilio in production and to any Twilio-compatible endpoint (the carrier
simulator, a test peer) elsewhere. Requests to hosts other than `*.twilio.com` are left alone.

Form requests (all the Calls API takes) go out on urllib3's pool directly: requests' session
machinery (preparing, hooks, cookies, environment merging) cost more CPU than the rest of a
dial. Its failures are raised as the requests exceptions twilio-python's own client raises, so
`voicecast.carrier.errors` classifies both alike; JSON requests and proxies take requests' way.
"""

from __future__ import annotations

import os
from base64 import b64encode
from urllib.parse import urlencode, urlsplit, urlunsplit

import certifi
import requests
import urllib3
from requests.utils import get_environ_proxies
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationParseError,
    NewConnectionError,
    ReadTimeoutError,
)

DEFAULT_TIMEOUT_SECONDS = 10.0


def rebase_url(url: str, base_url: str) -> str:
    """`url` with a `*.twilio.com` origin replaced by `base_url` (scheme, host, path prefix)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host != "twilio.com" and not host.endswith(".twilio.com"):
        return url
    base = urlsplit(base_url)
    path = base.path.rstrip("/") + parts.path
    return urlunsplit((base.scheme, base.netloc, path, parts.query, parts.fragment))


def read_environment_once(client: TwilioHttpClient) -> None:
    """Take the proxy and CA bundle settings from the environment now, not on every request:
    requests scans the whole environment per request otherwise (a third of a dial's CPU)."""
    session = client.session
    session.trust_env = False
    client.proxy = client.proxy or get_environ_proxies(client.base_url) or None
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle


class RebasedHttpClient(TwilioHttpClient):
    """A `TwilioHttpClient` whose requests go to `base_url`; never retries on its own."""

    def __init__(self, base_url: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        super().__init__(pool_connections=True, timeout=timeout, max_retries=0)
        self.base_url = base_url.rstrip("/")
        self._rebase = self.base_url != "https://api.twilio.com"
        read_environment_once(self)
        bundle = self.session.verify if isinstance(self.session.verify, str) else None
        # Where form requests go out (the requests session only serves JSON and proxies).
        self.pool = urllib3.PoolManager(
            maxsize=4, cert_reqs="CERT_REQUIRED", ca_certs=bundle or certifi.where()
        )

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        if self._rebase:
            url = rebase_url(url, self.base_url)
        headers = dict(headers or {})
        if self.proxy or "json" in headers.get("Content-Type", ""):
            return super().request(
                method, url, params, data, headers, auth, timeout, allow_redirects
            )
        if timeout is not None and timeout <= 0:
            raise ValueError(timeout)
        if params:
            url = f"{url}?{urlencode(without_none(params), doseq=True)}"
        body = urlencode(without_none(data), doseq=True) if data else None
        if body is not None:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if auth:
            headers["Authorization"] = "Basic " + b64encode(":".join(auth).encode()).decode()
        seconds = self.timeout if timeout is None else timeout
        try:
            answer = self.pool.request(
                method.upper(),
                url,
                body=body,
                headers=headers,
                timeout=urllib3.Timeout(connect=seconds, read=seconds),
                retries=False,
                redirect=allow_redirects,
            )
        except (HTTPError, LocationParseError) as error:
            raise as_requests_error(error) from error
        return Response(answer.status, answer.data.decode("utf-8", "replace"), answer.headers)

    def carrier_url(self, url: str) -> str:
        """`url` on the carrier's API host (rebased like every request); ValueError for any
        other host, so that our credentials never go elsewhere."""
        if self._rebase:
            url = rebase_url(url, self.base_url)
        if urlsplit(url).netloc != urlsplit(self.base_url).netloc:
            raise ValueError(f"{url} is not on the carrier's API host")
        return url

    def get_bytes(self, url: str, auth: tuple[str, str]) -> bytes:
        """GET `url` as bytes (media); a non-2xx answer raises TwilioRestException."""
        headers = {"Authorization": "Basic " + b64encode(":".join(auth).encode()).decode()}
        seconds = self.timeout
        try:
            answer = self.pool.request(
                "GET", url, headers=headers, retries=False, redirect=True,
                timeout=urllib3.Timeout(connect=seconds, read=seconds),
            )  # fmt: skip
        except (HTTPError, LocationParseError) as error:
            raise as_requests_error(error) from error
        if not 200 <= answer.status < 300:
            raise TwilioRestException(answer.status, url, f"HTTP {answer.status}", method="GET")
        return answer.data

    def close(self) -> None:
        """Close the pooled connections."""
        self.pool.clear()
        if self.session is not None:
            self.session.close()


def without_none(values: dict[str, object]) -> dict[str, object]:
    """Parameters as requests would send them: those set to None are left out."""
    return {name: value for name, value in values.items() if value is not None}


def as_requests_error(error: Exception) -> requests.RequestException:
    """The requests exception twilio-python's client would raise for urllib3's `error`."""
    if isinstance(error, LocationParseError):
        return requests.exceptions.InvalidURL(error)
    if isinstance(error, ConnectTimeoutError) and not isinstance(error, NewConnectionError):
        return requests.ConnectTimeout(error)
    if isinstance(error, ReadTimeoutError):
        return requests.ReadTimeout(error)
    return requests.ConnectionError(error)
