"""Which IP addresses count as public, from a table that does not move with Python.

`ipaddress.is_global` changes between Python releases, and the one we run on (3.11.7) calls
192.0.0.192, 64:ff9b:1::/48, ::ffff:0:0:0/96 and fec0::/10 global (CVE-2024-4032 and kin).
So the outbound guard judges addresses with its own table instead:

- IPv4: every block of the IANA IPv4 Special-Purpose Address Registry
  (https://www.iana.org/assignments/iana-ipv4-special-registry) whose "Globally Reachable"
  is False or N/A, plus multicast (224.0.0.0/4, from the IANA multicast registry), the
  reserved 240.0.0.0/4 and the limited broadcast address.
- IPv6: every block of the IANA IPv6 Special-Purpose Address Registry
  (https://www.iana.org/assignments/iana-ipv6-special-registry) whose "Globally Reachable"
  is False or N/A, plus multicast, deprecated site-local and the embedded-IPv4 forms; and,
  as a backstop, nothing outside 2000::/3 is public, since that is the only block the IANA
  IPv6 Address Space registry allocates as global unicast (RFC 4291 section 2.4, RFC 3587).
- An IPv6 address that carries an IPv4 address (mapped, translated, compatible, NAT64,
  6to4, Teredo, ISATAP) is public only if every IPv4 address it carries is.

Rows follow the registries as published in 2025. A globally reachable block nested in a block
that is not (192.0.0.9/32 and 192.0.0.10/32 in 192.0.0.0/24; the anycast, AMT, AS112,
ORCHIDv2 and DET blocks in 2001::/23) is refused with its parent: none is somewhere a node
has reason to send HTTP, and an operator can still allow one with BATON_HTTP_ALLOW.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class SpecialRange:
    network: IPNetwork
    name: str
    source: str

    def __str__(self) -> str:
        return f"{self.network}, {self.name}, {self.source}"


def _table(*rows: tuple[str, str, str]) -> tuple[SpecialRange, ...]:
    return tuple(SpecialRange(ipaddress.ip_network(net), name, src) for net, name, src in rows)


IPV4_NOT_PUBLIC = _table(
    ("0.0.0.0/8", '"this network"', "RFC 791 section 3.2"),
    ("0.0.0.0/32", '"this host on this network"', "RFC 1122 section 3.2.1.3"),
    ("10.0.0.0/8", "private use", "RFC 1918"),
    ("100.64.0.0/10", "shared address space (carrier-grade NAT)", "RFC 6598"),
    ("127.0.0.0/8", "loopback", "RFC 1122 section 3.2.1.3"),
    ("169.254.0.0/16", "link-local (cloud metadata lives here)", "RFC 3927"),
    ("172.16.0.0/12", "private use", "RFC 1918"),
    ("192.0.0.0/24", "IETF protocol assignments", "RFC 6890 section 2.1"),
    ("192.0.0.0/29", "IPv4 service continuity prefix (DS-Lite)", "RFC 7335"),
    ("192.0.0.8/32", "IPv4 dummy address", "RFC 7600"),
    ("192.0.0.170/32", "NAT64/DNS64 discovery", "RFC 8880, RFC 7050 section 2.2"),
    ("192.0.0.171/32", "NAT64/DNS64 discovery", "RFC 8880, RFC 7050 section 2.2"),
    ("192.0.2.0/24", "documentation (TEST-NET-1)", "RFC 5737"),
    ("192.88.99.0/24", "deprecated 6to4 relay anycast", "RFC 7526"),
    ("192.88.99.2/32", "6a44 relay anycast", "RFC 6751"),
    ("192.168.0.0/16", "private use", "RFC 1918"),
    ("198.18.0.0/15", "benchmarking", "RFC 2544"),
    ("198.51.100.0/24", "documentation (TEST-NET-2)", "RFC 5737"),
    ("203.0.113.0/24", "documentation (TEST-NET-3)", "RFC 5737"),
    ("224.0.0.0/4", "multicast", "RFC 5771"),
    ("240.0.0.0/4", "reserved", "RFC 1112 section 4"),
    ("255.255.255.255/32", "limited broadcast", "RFC 8190, RFC 919 section 7"),
)

IPV6_NOT_PUBLIC = _table(
    ("::/128", "unspecified", "RFC 4291"),
    ("::1/128", "loopback", "RFC 4291"),
    ("::/96", "IPv4-compatible (deprecated)", "RFC 4291 section 2.5.5.1"),
    ("::ffff:0:0/96", "IPv4-mapped", "RFC 4291"),
    ("::ffff:0:0:0/96", "IPv4-translated (SIIT)", "RFC 2765 section 2.1, RFC 6145"),
    ("64:ff9b:1::/48", "local-use IPv4/IPv6 translation", "RFC 8215"),
    ("100::/64", "discard-only", "RFC 6666"),
    ("100:0:0:1::/64", "dummy IPv6 prefix", "RFC 9780"),
    ("2001::/23", "IETF protocol assignments", "RFC 2928"),
    ("2001::/32", "Teredo", "RFC 4380, RFC 8190"),
    ("2001:2::/48", "benchmarking", "RFC 5180, RFC Errata 1752"),
    ("2001:10::/28", "deprecated ORCHID", "RFC 4843"),
    ("2001:db8::/32", "documentation", "RFC 3849"),
    ("2002::/16", "6to4", "RFC 3056"),
    ("3fff::/20", "documentation", "RFC 9637"),
    ("5f00::/16", "segment routing (SRv6) SIDs", "RFC 9602"),
    ("fc00::/7", "unique local", "RFC 4193, RFC 8190"),
    ("fe80::/10", "link-local unicast", "RFC 4291"),
    ("fec0::/10", "site-local (deprecated)", "RFC 3879"),
    ("ff00::/8", "multicast", "RFC 4291 section 2.7"),
)

IPV6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
# Globally reachable per the registry, and what a DNS64 resolver answers for IPv4-only names
# on an IPv6-only network: judged by the IPv4 address inside (RFC 6052).
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")

_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
_TEREDO = ipaddress.IPv6Network("2001::/32")
# ISATAP interface identifier: 0000:5efe or 0200:5efe (RFC 5214 section 6.1); the u/g bits
# (0x03 in the first octet) are masked so no variant of them slips through.
_ISATAP_MASK = 0xFCFFFFFF
_ISATAP_MARK = 0x00005EFE


def _low32(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)


def embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries, in every form a stack or gateway honours."""
    if isinstance(address, ipaddress.IPv4Address):
        return []
    value = int(address)
    found: list[ipaddress.IPv4Address] = []
    if any(address in net for net in (_MAPPED, _TRANSLATED, _COMPATIBLE)):
        found.append(_low32(address))
    if address in NAT64_WELL_KNOWN or address in _NAT64_LOCAL:
        found.append(_low32(address))
    if address in _SIX_TO_FOUR:  # 2002:AABB:CCDD::/48 (RFC 3056 section 2)
        found.append(ipaddress.IPv4Address((value >> 80) & 0xFFFFFFFF))
    if address in _TEREDO:
        # Server in bits 32-63, client XORed with all ones in the last 32 (RFC 4380 4).
        found.append(ipaddress.IPv4Address((value >> 64) & 0xFFFFFFFF))
        found.append(ipaddress.IPv4Address(~value & 0xFFFFFFFF))
    if ((value >> 32) & _ISATAP_MASK) == _ISATAP_MARK:
        # Under any prefix, public ones included: that is what makes it a disguise.
        found.append(_low32(address))
    return found


def special_range(address: IPAddress) -> SpecialRange | None:
    """The most specific table row holding the address itself (not what it carries)."""
    table = IPV4_NOT_PUBLIC if isinstance(address, ipaddress.IPv4Address) else IPV6_NOT_PUBLIC
    rows = [row for row in table if address in row.network]
    return max(rows, key=lambda row: row.network.prefixlen, default=None)


def not_public_reason(address: IPAddress | str) -> str | None:
    """Why the address is not public, or None when it is."""
    if isinstance(address, str):
        address = ipaddress.ip_address(address)
    row = special_range(address)
    if row is not None:
        return str(row)
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address not in IPV6_GLOBAL_UNICAST and address not in NAT64_WELL_KNOWN:
        return "outside 2000::/3, the only IPv6 space allocated as global unicast"
    for inner in embedded_ipv4(address):
        inner_reason = not_public_reason(inner)
        if inner_reason is not None:
            return f"carries {inner}: {inner_reason}"
    return None


def is_public(address: IPAddress | str) -> bool:
    """Whether nodes may reach the address without the operator allowing it."""
    return not_public_reason(address) is None


def literal_address(host: str) -> IPAddress | None:
    """The address a host names when it is a numeric literal the resolver would accept, in
    any spelling it accepts (0177.0.0.1, 2130706433, 0x7f.1, [::ffff:127.0.0.1], zones),
    or None for a name. Never asks DNS: AI_NUMERICHOST makes getaddrinfo parse only."""
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        return None
    try:
        infos = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    return ipaddress.ip_address(str(infos[0][4][0]).split("%")[0])
