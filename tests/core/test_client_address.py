"""The client-address rule: the peer unless it is a trusted proxy, then the right-most
forwarded address that is not one (pure rule; tests/api/test_hostile_input.py goes over HTTP)."""

from __future__ import annotations

import pytest

from core.client_address import TrustedProxies

PROXIES = TrustedProxies.parse("10.0.0.0/8, 127.0.0.1, 2001:db8::/32")


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        # An untrusted peer: its header is its own words.
        ("198.51.100.4", ["1.2.3.4"], "198.51.100.4"),
        # A trusted proxy: the right-most address it did not write itself.
        ("127.0.0.1", ["6.6.6.6, 203.0.113.7"], "203.0.113.7"),
        ("127.0.0.1", ["6.6.6.6", "203.0.113.7, 10.1.2.3"], "203.0.113.7"),
        ("10.0.0.9", ["203.0.113.7,10.0.0.8 , 10.0.0.7"], "203.0.113.7"),
        # No header: the proxy is the client.
        ("127.0.0.1", [], "127.0.0.1"),
        # Every hop trusted: the farthest one.
        ("127.0.0.1", ["10.0.0.1, 10.0.0.2"], "10.0.0.1"),
        # Garbage (the header was garbled past a hop): the last trusted hop before it.
        ("127.0.0.1", ["203.0.113.7, not-an-ip, 10.0.0.2"], "10.0.0.2"),
        # Ports and brackets some proxies add; IPv6; IPv4-mapped peers.
        ("127.0.0.1", ["203.0.113.7:5123"], "203.0.113.7"),
        ("2001:db8::1", ["[2001:db9::5]:443"], "2001:db9::5"),
        ("::ffff:127.0.0.1", ["203.0.113.7"], "203.0.113.7"),
    ],
)
def test_right_most_untrusted_address(peer: str, forwarded: list[str], client: str) -> None:
    assert PROXIES.client_address(peer, forwarded) == client


def test_no_trusted_proxies_by_default_means_the_peer_always() -> None:
    nobody = TrustedProxies.parse("")
    assert not nobody
    assert nobody.client_address("127.0.0.1", ["203.0.113.7"]) == "127.0.0.1"
    assert nobody.client_address(None, ["203.0.113.7"]) is None


@pytest.mark.parametrize("spec", ["10.0.0.0/33", "proxy.internal", "10.0.0.0/8,,300.1.1.1"])
def test_a_malformed_entry_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="not an address or CIDR"):
        TrustedProxies.parse(spec)
