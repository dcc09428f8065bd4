"""Websocket authentication and origin checking.

A browser always sends Origin, and a page from another site must not ride the user's
session cookie into a socket, so a present Origin has to be the site's own origin — the
same scheme, host and port as the address the socket was opened on (its Host header, which
must be one of ALLOWED_HOSTS) — or one listed in BATON_ALLOWED_ORIGINS. Programs (which
send no Origin) authenticate with `Authorization: Bearer <key>` instead.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from .authentication import authenticate_key, bearer_token

DEFAULT_PORTS = {"http": 80, "https": 443}
Origin = tuple[str, str, int]


def _header(scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value
    return None


def parse_origin(text: str) -> Origin | None:
    """(scheme, host, port) of an origin such as `https://example.com:8443`, or None."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def _secure(scope) -> bool:
    if scope.get("scheme") in ("wss", "https"):
        return True
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        name, value = proxy_header
        header = name.removeprefix("HTTP_").lower().replace("_", "-").encode()
        sent = _header(scope, header)
        return sent is not None and sent.decode("latin-1").strip().lower() == value
    return False


def site_origin(scope) -> Origin | None:
    """The origin of the address this socket was opened on, if that is one of our hosts."""
    host = _header(scope, b"host")
    if not host:
        return None
    domain, port = split_domain_port(host.decode("latin-1"))
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = "https" if _secure(scope) else "http"
    return scheme, domain.strip("[]"), int(port) if port else DEFAULT_PORTS[scheme]


@lru_cache(maxsize=1)
def _listed_origins(listed: tuple[str, ...]) -> frozenset[Origin]:
    return frozenset(origin for text in listed if (origin := parse_origin(text)) is not None)


def origin_allowed(scope) -> bool:
    sent = _header(scope, b"origin")
    if sent is None:
        return True
    origin = parse_origin(sent.decode("latin-1"))
    if origin is None:
        return False
    if origin == site_origin(scope):
        return True
    return origin in _listed_origins(tuple(settings.BATON_ALLOWED_ORIGINS))


class _BearerMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if not origin_allowed(scope):
            await send({"type": "websocket.close", "code": 4403})
            return
        token = bearer_token(_header(scope, b"authorization"))
        if token is not None:
            key = await database_sync_to_async(authenticate_key)(token)
            scope = dict(scope)
            if key is None:
                from django.contrib.auth.models import AnonymousUser

                scope["user"] = AnonymousUser()
                scope["api_key"] = None
            else:
                scope["user"] = key.user
                scope["api_key"] = key
        return await self.inner(scope, receive, send)


def WebsocketAuthMiddleware(inner):  # noqa: N802 - reads like the middleware class it builds
    # Session auth first (fills scope["user"] from the cookie); a bearer key then overrides.
    return AuthMiddlewareStack(_BearerMiddleware(inner))
