"""Address policy: internal ranges refused unless allowed, every resolved address checked."""

from __future__ import annotations

import pytest

from crawlers.net_safety import AddressPolicy, AddressRefused, checked_addresses
from wit_pipeline.errors import WitError


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("192.168.1.1", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link_local"),
        ("fe80::1", "link_local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),
        # IPv6 forms that carry an IPv4 address are judged by it (issue 19 item 18)
        ("64:ff9b::10.0.0.1", "private"),
        ("64:ff9b::127.0.0.1", "loopback"),
        ("64:ff9b::169.254.169.254", "link_local"),
        ("64:ff9b::93.184.216.34", None),
        ("::10.0.0.1", "private"),
        ("::127.0.0.1", "loopback"),
        ("::93.184.216.34", "reserved"),
        ("2002:a00:1::1", "private"),
        ("2002:a9fe:a9fe::1", "link_local"),
        ("2002:5db8:d822::1", None),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "private"),
        # not globally reachable, with nothing to extract
        ("64:ff9b:1::5db8:d822", "nat64_local"),
        ("fec0::1", "site_local"),
        ("feff::1", "site_local"),
        ("192.0.0.1", "reserved"),
        ("192.0.0.9", "reserved"),
        ("192.0.0.170", "reserved"),
        ("not-an-ip", "bad_address"),
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_default_policy(address: str, reason: str | None) -> None:
    assert AddressPolicy().refusal(address) == reason


def test_allowances() -> None:
    assert AddressPolicy(allow_private=True).refusal("10.0.0.1") is None
    only_local = AddressPolicy(allow_networks=("127.0.0.1/32",))
    assert only_local.refusal("127.0.0.1") is None
    assert only_local.refusal("127.0.0.2") == "loopback"
    assert only_local.refusal("10.0.0.1") == "private"
    with pytest.raises(WitError, match="allow_networks"):
        AddressPolicy(allow_networks=("10.0.0.300/8",))


def test_every_resolved_address_is_checked() -> None:
    def rebinding(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.1.2.3"]

    with pytest.raises(AddressRefused) as info:
        checked_addresses("mixed.example", 80, AddressPolicy(), rebinding)
    assert info.value.reason == "address_private"
    assert checked_addresses("pub.example", 80, AddressPolicy(), lambda h, p: ["93.184.216.34"]) == ["93.184.216.34"]

    def failing(host: str, port: int) -> list[str]:
        raise OSError("no such host")

    with pytest.raises(AddressRefused, match="dns_error"):
        checked_addresses("nowhere.example", 80, AddressPolicy(), failing)
    with pytest.raises(AddressRefused, match="dns_error"):
        checked_addresses("empty.example", 80, AddressPolicy(), lambda h, p: [])


def test_embedded_private_addresses_are_refused_before_any_connection(connect_guard) -> None:
    """A NAT64/6to4/compatible literal or name leading to an internal IPv4 never gets a connection."""
    from crawlers.http_fetch import Fetcher, FetchLimits
    from tests.crawlers.conftest import literal_resolver

    fetcher = Fetcher(AddressPolicy(), FetchLimits(connect_timeout=1.0), "witbot/test", literal_resolver())
    for url, reason in [
        ("http://[64:ff9b::7f00:1]:8080/", "address_loopback"),
        ("http://[64:ff9b::a9fe:a9fe]/latest/meta-data/", "address_link_local"),
        ("http://[::10.1.2.3]/", "address_private"),
        ("http://[2002:c0a8:101::1]/", "address_private"),
        ("http://[fec0::1]/", "address_site_local"),
        ("http://[64:ff9b:1::1]/", "address_nat64_local"),
        ("http://192.0.0.8/", "address_reserved"),
    ]:
        assert fetcher.fetch(url).error == reason, url
    named = Fetcher(AddressPolicy(), FetchLimits(), "witbot/test", lambda host, port: ["64:ff9b::c0a8:1"])
    assert named.fetch("http://nat64.example/").error == "address_private"
    assert connect_guard.attempts == []
