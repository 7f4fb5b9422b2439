"""The client's address for lockout and logs, trusting X-Forwarded-For only from our proxies.

Behind the production TLS proxy every request arrives from the proxy's address; the client's
own address is the right-most X-Forwarded-For entry that is not one of our trusted proxies
(``NEUROREGEN_FORWARDED_ALLOW_IPS``, addresses or networks). A header sent by anyone else is
ignored: otherwise a client could pick a new address for every guess and never be locked.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue  # refused by the deploy check; never trusted here
    return tuple(networks)


def parse_allow_list(value: str) -> list[str]:
    """``NEUROREGEN_FORWARDED_ALLOW_IPS`` (comma-separated) as a list of entries."""
    return [part.strip() for part in value.split(",") if part.strip()]


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_ip(request: HttpRequest) -> str:
    peer = request.META.get("REMOTE_ADDR", "") or ""
    networks = _networks(tuple(getattr(settings, "NEUROREGEN_FORWARDED_ALLOW_IPS", ()) or ()))
    if not networks or not _is_trusted(peer, networks):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if not _valid(hop):
            return peer  # a malformed chain: the proxy's own address, never a forged one
        if not _is_trusted(hop, networks):
            return hop
    return peer
