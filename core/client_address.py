"""Who the client is: the one rule for the address that rate limits and audit records use.

The direct peer of the connection is the client unless it is one of our own proxies, listed in
``trusted_proxies`` (CIDR list, empty by default). Only then is ``X-Forwarded-For`` read, from
the right: each proxy appends the address it received the request from, so the right-most
address that is not one of ours is the last one a trusted party vouched for. Everything to its
left was written by the client and is ignored — a caller cannot pick its own rate-limit bucket.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> IPAddress | None:
    """An address from a peer or a forwarded-for entry; ``[v6]:port`` and ``v4:port`` forms
    (sent by some proxies) lose their port. None when it is no address at all."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else text[1:]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    """The proxies in front of us, and the rule that finds the client behind them."""

    __slots__ = ("_networks",)

    def __init__(self, networks: Iterable[IPNetwork] = ()) -> None:
        self._networks = tuple(networks)

    @classmethod
    def parse(cls, spec: str) -> TrustedProxies:
        """``"10.0.0.0/8, 192.168.1.7"`` (a bare address is a /32 or /128). A malformed entry
        raises ``ValueError``: a proxy list that silently trusted nothing (or everything) is
        worse than a server that does not start."""
        networks = []
        for entry in spec.replace(";", ",").split(","):
            if entry := entry.strip():
                try:
                    networks.append(ipaddress.ip_network(entry, strict=False))
                except ValueError as exc:
                    raise ValueError(f"trusted proxy {entry!r} is not an address or CIDR") from exc
        return cls(networks)

    def __bool__(self) -> bool:
        return bool(self._networks)

    def trusts(self, address: IPAddress) -> bool:
        return any(address in network for network in self._networks)

    def client_address(self, peer: str | None, forwarded_for: Iterable[str]) -> str | None:
        """The client's address given the connection's ``peer`` and the ``X-Forwarded-For``
        header values (in the order received; several headers count as one list).

        The peer when it is not a trusted proxy (the header is then the caller's own words);
        otherwise the right-most forwarded address that is not a trusted proxy. When every
        address is trusted, the left-most one; when an entry is not an address, the last
        trusted hop before it (the header is garbled past that point)."""
        if peer is None:
            return None
        hop = _address(peer)
        if hop is None or not self._networks or not self.trusts(hop):
            return str(hop) if hop is not None else peer
        entries = [e for value in forwarded_for for e in value.split(",") if e.strip()]
        for entry in reversed(entries):
            address = _address(entry)
            if address is None:
                break
            hop = address
            if not self.trusts(hop):
                break
        return str(hop)


__all__ = ["TrustedProxies"]
