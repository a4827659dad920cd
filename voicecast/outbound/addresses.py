"""Where webhooks may go: by default not to private, loopback or link-local addresses, so that
an account cannot make our workers POST into the network they run in (WEBHOOK_PRIVATE_URLS=1
allows them, for development and tests). A request connects to the very address that was
checked: a name that resolved to a public address for the check and to an inside one a moment
later (DNS rebinding) cannot lead it inside."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app


def private_urls_allowed() -> bool:
    return bool(current_app.config.get("WEBHOOK_PRIVATE_URLS"))


def addresses_of(host: str) -> list[str]:
    """The IP addresses `host` names (itself when it is one), in the resolver's order of
    preference; [] when it does not resolve."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        return list(dict.fromkeys(info[4][0] for info in socket.getaddrinfo(host, None)))
    except (OSError, UnicodeError):
        return []


def inside(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not ip.is_global or ip.is_multicast


@dataclass(frozen=True)
class Destination:
    """Where one request to a webhook goes: the addresses to connect to, in order (each one
    checked), or why not."""

    addresses: tuple[str, ...]
    problem: str | None = None


def destination(url: str) -> Destination:
    """Resolve `url`'s host once and check what it names: the request is to connect to the
    addresses returned, not to resolve the name again."""
    host = urlsplit(url).hostname or ""
    addresses = addresses_of(host)
    if not addresses:
        return Destination((), f"{host} does not resolve to any address.")
    problem = None if private_urls_allowed() else inside_problem(host, addresses)
    return Destination(() if problem else tuple(addresses), problem)


def url_problem(url: str) -> str | None:
    """Why a webhook may not go to `url` (None: it may): its host is, or resolves to, an
    address that is not public on the internet."""
    if private_urls_allowed():
        return None
    host = urlsplit(url).hostname or ""
    return inside_problem(host, addresses_of(host))


def inside_problem(host: str, addresses: list[str]) -> str | None:
    found = [address for address in addresses if inside(address)]
    if found:
        return (
            f"{host} is a private or local address ({found[0]}): webhooks go to public "
            "addresses only (WEBHOOK_PRIVATE_URLS=1 allows others, for development)."
        )
    return None
