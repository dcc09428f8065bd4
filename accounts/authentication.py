"""API authentication: `Authorization: Bearer <key>` or the browser's session."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiKey

# last_used_at is for people reading a key list: minute precision saves a write per call.
_LAST_USED_GRANULARITY = timedelta(minutes=1)


def authenticate_key(raw_key: str) -> ApiKey | None:
    """The usable key for this raw secret, or None. Marks it used."""
    raw_key = raw_key.strip()
    if len(raw_key) < 20:
        return None
    key = (
        ApiKey.objects.usable()
        .select_related("user")
        .filter(prefix=raw_key[:12])
        .first()
    )
    if key is None or not key.matches(raw_key) or not key.user.is_active:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_GRANULARITY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def bearer_token(header_value: str | bytes | None) -> str | None:
    if not header_value:
        return None
    if isinstance(header_value, bytes):
        header_value = header_value.decode("latin-1")
    scheme, _, token = header_value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class BearerKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION")
        if not header:
            return None
        token = bearer_token(header)
        if token is None:
            raise exceptions.AuthenticationFailed(
                "the Authorization header must be 'Bearer <api key>'"
            )
        key = authenticate_key(token)
        if key is None:
            raise exceptions.AuthenticationFailed("the API key is unknown, revoked or expired")
        return key.user, key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """Django's session with CSRF enforced, as DRF does."""
