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


# IPv6 prefixes whose addresses carry an IPv4 address in their last 32 bits: the well-known
# NAT64 prefix (RFC 6052) and IPv4-compatible addresses (::a.b.c.d, deprecated, RFC 4291).
LAST_32_BITS_IPV4 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::/96"))
# NAT64 for local use (RFC 8215): a network's own translator, never public; Python 3.11 does
# not know it.
NOT_PUBLIC = (ipaddress.ip_network("64:ff9b:1::/48"),)


def embedded_ipv4(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses a packet to `ip` may end up at: those an IPv6 address embeds
    (IPv4-mapped or -compatible, NAT64, 6to4, Teredo's server and client)."""
    if ip.version == 4:
        return []
    found = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if any(ip in network for network in LAST_32_BITS_IPV4):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [each for each in found if each is not None]


def inside(address: str) -> bool:
    """Whether `address`, or an IPv4 address it leads to, is not public on the internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if any(ip in network for network in NOT_PUBLIC):
        return True
    return any(not each.is_global or each.is_multicast for each in (ip, *embedded_ipv4(ip)))


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
