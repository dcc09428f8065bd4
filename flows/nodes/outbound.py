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
import os
import socket
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from django.conf import settings

from .addresses import IPAddress, embedded_ipv4, is_public, not_public_reason
from .base import FatalNodeError
from .recording import TapeTransport

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
    "outbound_client",
    "is_public",
    "resolve",
    "retry_after_seconds",
    "retryable_status",
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


class GuardedTransport(httpx.BaseTransport):
    """Checks every request — and so every redirect hop, which httpx sends through here
    too — then sends it over a keep-alive pool for the address it checked and the name TLS
    must verify. Pools are keyed by both: two names on one address never share a TLS
    connection, and a name that resolves elsewhere next time gets a pool of its own. One
    SSL context (~25 ms to build) serves them all."""

    def __init__(self, *, max_pools: int = 256, limits: httpx.Limits | None = None):
        self._ssl = httpx.create_ssl_context(trust_env=False)
        self._limits = limits or httpx.Limits(
            max_connections=100, max_keepalive_connections=20, keepalive_expiry=30.0
        )
        self._max_pools = max_pools
        self._pools: OrderedDict[tuple[str, str, int, str], httpx.HTTPTransport] = OrderedDict()
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise OutboundRefused(f"only http and https URLs are allowed, not {url.scheme!r}")
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        address = checked_destination(host, port)
        # Connect to the checked address; keep the name for the Host header (set by httpx
        # when the request was built) and for TLS (SNI and certificate check).
        request.url = url.copy_with(host=str(address))
        if url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": host}
        return self._pool((url.scheme, str(address), port, host)).handle_request(request)

    def _pool(self, key: tuple[str, str, int, str]) -> httpx.HTTPTransport:
        with self._lock:
            pool = self._pools.get(key)
            if pool is not None:
                self._pools.move_to_end(key)
                return pool
            pool = httpx.HTTPTransport(verify=self._ssl, limits=self._limits, trust_env=False)
            self._pools[key] = pool
            evicted = self._pools.popitem(last=False)[1] if len(self._pools) > self._max_pools else None
        if evicted is not None:
            evicted.close()
        return pool

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            pool.close()


# Resolved and checked destinations, for a few seconds: a chain of calls to one host then
# costs one lookup, and a connection still goes to the very address that was checked.
_CHECKED_TTL_SECONDS = 10.0
_checked: dict[tuple[str, int, tuple[str, ...]], tuple[float, IPAddress]] = {}


def checked_destination(host: str, port: int) -> IPAddress:
    key = (host.lower(), port, tuple(settings.BATON_HTTP_ALLOW))
    now = time.monotonic()
    cached = _checked.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    address = check_destination(host, port)
    if len(_checked) > 4096:
        _checked.clear()
    _checked[key] = (now + _CHECKED_TTL_SECONDS, address)
    return address


MAX_REDIRECTS = 5
# Answers that may differ when asked again; every other 4xx will not.
RETRYABLE_STATUSES = frozenset({408, 425, 429})


def retryable_status(status: int) -> bool:
    return status >= 500 or status in RETRYABLE_STATUSES


def retry_after_seconds(value: str | None) -> float | None:
    """An HTTP Retry-After (seconds, or an HTTP date) as seconds from now, or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - time.time())


def guarded_client(timeout: float | httpx.Timeout = 30.0, **kwargs: Any) -> httpx.Client:
    """A client of its own for node traffic: guarded, no proxies from the environment,
    recorded or replayed while a node attempt has a tape (recording.py). Nodes use the
    process's shared one (outbound_client)."""
    return httpx.Client(
        transport=TapeTransport(GuardedTransport()),
        timeout=timeout,
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        trust_env=False,
        **kwargs,
    )


_shared: tuple[int, httpx.Client] | None = None
_shared_lock = threading.Lock()


def outbound_client() -> httpx.Client:
    """The process's one client for outbound calls (http nodes, model providers, embeddings,
    agent tools, callbacks): connections are kept alive and reused across calls. Built on
    first use, and anew in a forked child. Each call passes its own timeout."""
    global _shared
    shared = _shared
    if shared is not None and shared[0] == os.getpid():
        return shared[1]
    with _shared_lock:
        if _shared is None or _shared[0] != os.getpid():
            _shared = (os.getpid(), guarded_client())
        return _shared[1]
