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
