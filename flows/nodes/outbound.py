"""Outbound HTTP that cannot be pointed at the inside of our network.

Every request (and every redirect hop, since httpx sends each hop through the transport)
resolves its host, refuses loopback, private, link-local, metadata and other non-public
addresses unless the operator allows them in BATON_HTTP_ALLOW, and then connects to the
very address it checked, so a second DNS answer cannot swap in another (rebinding).
What counts as public is decided by the table in addresses.py, not by the Python version.
Odd spellings of IPv4 (0177.0.0.1, 2130706433, 0x7f.1) need no special care here: they go
through getaddrinfo like any name, come back as ordinary addresses, and meet the table.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings

from .addresses import IPAddress, embedded_ipv4, is_public, not_public_reason
from .base import FatalNodeError

__all__ = [
    "MAX_REDIRECTS",
    "AllowRule",
    "GuardedTransport",
    "IPAddress",
    "OutboundRefused",
    "allow_rules",
    "check_destination",
    "embedded_ipv4",
    "guarded_client",
    "is_public",
    "resolve",
]


class OutboundRefused(FatalNodeError):
    """The destination is not one nodes may reach."""


@dataclass(frozen=True)
class AllowRule:
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None
    hostname: str | None
    port: int | None

    @classmethod
    def parse(cls, text: str) -> AllowRule:
        text = text.strip()
        port: int | None = None
        host = text
        if text.startswith("["):  # [v6]:port
            host, _, rest = text[1:].partition("]")
            if rest.startswith(":"):
                port = int(rest[1:])
        elif text.count(":") == 1:
            host, _, port_text = text.partition(":")
            port = int(port_text)
        try:
            return cls(ipaddress.ip_network(host, strict=False), None, port)
        except ValueError:
            return cls(None, host.lower().rstrip("."), port)

    def allows(self, hostname: str, address: IPAddress, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.network is not None:
            return address in self.network
        return hostname.lower().rstrip(".") == self.hostname


def allow_rules() -> list[AllowRule]:
    return [AllowRule.parse(item) for item in settings.BATON_HTTP_ALLOW]


def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FatalNodeError(f"cannot resolve host {host!r}: {exc}") from None
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def check_destination(host: str, port: int) -> IPAddress:
    """The address to connect to, or OutboundRefused if any address of the host is off-limits."""
    if not host:
        raise OutboundRefused("the URL has no host")
    addresses = resolve(host, port)
    if not addresses:
        raise FatalNodeError(f"host {host!r} has no address")
    rules = allow_rules()
    for address in addresses:
        reason = not_public_reason(address)
        if reason is None:
            continue
        if any(rule.allows(host, address, port) for rule in rules):
            continue
        raise OutboundRefused(
            f"refusing to connect to {host} ({address}): it is a private, loopback, "
            f"link-local or otherwise internal address ({reason}); an administrator can "
            "allow it with BATON_HTTP_ALLOW"
        )
    return addresses[0]


class GuardedTransport(httpx.HTTPTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise OutboundRefused(f"only http and https URLs are allowed, not {url.scheme!r}")
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        address = check_destination(host, port)
        # Connect to the checked address; keep the name for the Host header (set by httpx
        # when the request was built) and for TLS (SNI and certificate check).
        request.url = url.copy_with(host=str(address))
        if url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": host}
        return super().handle_request(request)


MAX_REDIRECTS = 5


def guarded_client(timeout: float | httpx.Timeout = 30.0, **kwargs: Any) -> httpx.Client:
    """An httpx client for node traffic: guarded, no proxies from the environment."""
    return httpx.Client(
        transport=GuardedTransport(),
        timeout=timeout,
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        trust_env=False,
        **kwargs,
    )
