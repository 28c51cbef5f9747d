"""Which network addresses a crawler may connect to, checked before any connection is made.

Public (globally routable) unicast addresses are allowed. Private, loopback, link-local,
multicast, shared (CGNAT), reserved and unspecified ranges are refused, so a crawled page
(or a redirect) cannot make the crawler reach internal services, unless the user allows
private networks altogether or names specific networks (e.g. ``127.0.0.1/32`` for tests
and demos). IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wit_pipeline.errors import WitError

Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(Exception):
    """A host resolved to an address the policy forbids (or did not resolve at all)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True)
class AddressPolicy:
    """``allow_private``: every address is allowed; ``allow_networks``: these CIDRs are."""

    allow_private: bool = False
    allow_networks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for cidr in self.allow_networks:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise WitError(f"allow_networks: '{cidr}' is not a network (expected CIDR like 127.0.0.1/32)") from None

    def refusal(self, address: str) -> str | None:
        """Why ``address`` may not be contacted (``loopback``, ``private``, ...), or None."""
        try:
            ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return "bad_address"
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if self.allow_private or any(ip in ipaddress.ip_network(c, strict=False) for c in self.allow_networks):
            return None
        return address_class(ip)


def address_class(ip: IPAddress) -> str | None:
    """The non-public class of ``ip`` (``loopback``, ``link_local``...), or None if public."""
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link_local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "reserved"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to for a TCP connection (no connection is made)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def checked_addresses(host: str, port: int, policy: AddressPolicy, resolver: Resolver = system_resolver) -> list[str]:
    """Resolve ``host`` and return its addresses, all of them allowed by ``policy``.

    Raises ``AddressRefused`` if resolution fails or any address is refused: a name that
    mixes public and internal addresses is treated as hostile (DNS rebinding).
    """
    try:
        addresses: Sequence[str] = resolver(host.strip("[]"), port)
    except (OSError, UnicodeError) as exc:
        raise AddressRefused("dns_error", f"{host}: {exc}") from None
    if not addresses:
        raise AddressRefused("dns_error", f"{host}: no addresses")
    for address in addresses:
        reason = policy.refusal(address)
        if reason is not None:
            raise AddressRefused(f"address_{reason}", f"{host} resolves to {address}")
    return list(addresses)
