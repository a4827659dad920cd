"""twilio-python's HTTP client, sending every request to TWILIO_API_URL instead of twilio.com.

twilio-python builds absolute `https://api.twilio.com/2010-04-01/...` URLs; `RebasedHttpClient`
swaps the scheme and host (and any path prefix) for the configured base, so the same, real
client speaks to Twilio in production and to any Twilio-compatible endpoint (the carrier
simulator, a test peer) elsewhere. Requests to hosts other than `*.twilio.com` are left alone.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from requests.utils import get_environ_proxies
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

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
        return super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )

    def close(self) -> None:
        """Close the pooled connections."""
        if self.session is not None:
            self.session.close()
