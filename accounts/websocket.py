"""Websocket authentication and origin checking.

A browser always sends Origin, and a page from another site must not ride the user's
session cookie into a socket, so a present Origin has to name one of our hosts. Programs
(which send no Origin) authenticate with `Authorization: Bearer <key>` instead.
"""

from __future__ import annotations

from urllib.parse import urlparse

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.conf import settings
from django.http.request import validate_host

from .authentication import authenticate_key, bearer_token


def _header(scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value
    return None


def origin_allowed(origin: bytes | None) -> bool:
    if origin is None:
        return True
    parsed = urlparse(origin.decode("latin-1"))
    host = parsed.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return bool(host) and validate_host(host, settings.ALLOWED_HOSTS)


class _BearerMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if not origin_allowed(_header(scope, b"origin")):
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
