"""Which network addresses a crawler may connect to, checked before any connection is made.

Public (globally routable) unicast addresses are allowed. Private, loopback, link-local,
multicast, shared (CGNAT), reserved and unspecified ranges are refused, so a crawled page
(or a redirect) cannot make the crawler reach internal services, unless the user allows
private networks altogether or names specific networks (e.g. ``127.0.0.1/32`` for tests
and demos). IPv6 addresses that carry an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``,
IPv4-compatible ``::a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``, Teredo) are judged
by the IPv4 address they lead to as well, so ``64:ff9b::10.0.0.1`` is as private as
``10.0.0.1``. Ranges that are not globally reachable although Python calls them global are
refused by name: site-local ``fec0::/10``, local-use NAT64 ``64:ff9b:1::/48`` (its embedded
address has no fixed place), the deprecated IPv4-compatible form, and the IETF protocol
assignments ``192.0.0.0/24``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wit_pipeline.errors import WitError

Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# Not globally reachable, though ``ipaddress`` (3.11) calls them global: name -> reason.
_REFUSED_NETWORKS = (
    (ipaddress.ip_network("fec0::/10"), "site_local"),
    (ipaddress.ip_network("64:ff9b:1::/48"), "nat64_local"),
    (ipaddress.ip_network("192.0.0.0/24"), "reserved"),
)


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
        if self.allow_private or any(_within(ip, c) for c in self.allow_networks):
            return None
        return address_class(ip)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to (mapped, compatible, NAT64, 6to4, Teredo)."""
    found = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def address_class(ip: IPAddress) -> str | None:
    """The non-public class of ``ip`` (``loopback``, ``link_local``...), or None if public.

    An IPv6 address carrying an IPv4 one takes the class of that IPv4 address when it is not
    public; the deprecated IPv4-compatible form (``::a.b.c.d``) is refused either way.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        for inner in embedded_ipv4(ip):
            reason = address_class(inner)
            if reason is not None:
                return reason
        if ip.ipv4_mapped is None and ip in _IPV4_COMPATIBLE and int(ip) > 1:
            return "reserved"
    for network, reason in _REFUSED_NETWORKS:
        if ip.version == network.version and ip in network:
            return reason
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


def _within(ip: IPAddress, cidr: str) -> bool:
    network = ipaddress.ip_network(cidr, strict=False)
    return ip.version == network.version and ip in network


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
