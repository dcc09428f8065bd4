"""Request limits of trigger URLs (POST /hooks/<token>/).

Each trigger URL has its own allowance (BATON_TRIGGER_RATE), counted only once its token
is verified: otherwise anyone who saw a token's public prefix could spend that allowance
with junk and lock the real caller out. Requests whose token matches nothing are counted
against their client address instead (BATON_TRIGGER_JUNK_RATE), which bounds how fast one
address can guess.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from accounts.throttling import WindowThrottle

from .models import TriggerToken
from .services import find_token


def verified_token(request: Any, raw: str) -> TriggerToken | None:
    """The live token for this secret, looked up once per request."""
    if not hasattr(request, "_baton_trigger"):
        request._baton_trigger = find_token(raw)
    return request._baton_trigger


def client_address(request: Any) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


class TriggerRateThrottle(WindowThrottle):
    def bucket_and_rate(self, request, view) -> tuple[str, tuple[int, int]] | None:
        raw = str(view.kwargs.get("token", ""))
        token = verified_token(request, raw)
        if token is not None:
            # The prefix: unique per token and never reused, unlike an id.
            return f"trigger:{token.prefix}", settings.BATON_TRIGGER_RATE
        return f"trigger-junk:{client_address(request)}", settings.BATON_TRIGGER_JUNK_RATE
