"""Where webhooks may go: by default not to private, loopback or link-local addresses, so that
an account cannot make our workers POST into the network they run in (WEBHOOK_PRIVATE_URLS=1
allows them, for development and tests)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from flask import current_app


def private_urls_allowed() -> bool:
    return bool(current_app.config.get("WEBHOOK_PRIVATE_URLS"))


def addresses_of(host: str) -> list[str]:
    """The IP addresses `host` names (itself when it is one); [] when it does not resolve."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(host, None)})
    except (OSError, UnicodeError):
        return []


def inside(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not ip.is_global or ip.is_multicast


def url_problem(url: str) -> str | None:
    """Why a webhook may not go to `url` (None: it may): its host is, or resolves to, an
    address that is not public on the internet."""
    if private_urls_allowed():
        return None
    host = urlsplit(url).hostname or ""
    found = [address for address in addresses_of(host) if inside(address)]
    if found:
        return (
            f"{host} is a private or local address ({found[0]}): webhooks go to public "
            "addresses only (WEBHOOK_PRIVATE_URLS=1 allows others, for development)."
        )
    return None
