"""Per-key request limits: BATON_API_KEY_RATE requests per period for each API key, counted
in Redis so every web process shares the count. Over the limit: 429 with Retry-After.

A fixed window per key (INCR on a key that expires with the window): one round trip per
request, and atomic, so concurrent requests cannot slip past the count. Requests of the
signed-in editor are not limited. If Redis cannot be reached the request goes through:
the limit protects the service, it must not become the outage.
"""

from __future__ import annotations

import logging
import math
import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from orchestrator_site.redis_client import shared_redis

from .models import ApiKey

log = logging.getLogger(__name__)


def take(bucket: str, rate: tuple[int, int]) -> float | None:
    """Count one request in `bucket`; None if allowed, else seconds until it would be."""
    limit, period = rate
    now = time.time()
    window = int(now // period)
    key = f"{settings.BATON_CHANNEL_PREFIX}:throttle:{bucket}:{window}"
    try:
        # Create the window with its expiry, then count, in one round trip and atomically
        # (not EXPIRE NX: local mode's embedded Redis may predate Redis 7).
        pipe = shared_redis().pipeline(transaction=True)
        pipe.set(key, 0, ex=period + 1, nx=True)
        pipe.incr(key)
        _, count = pipe.execute()
    except Exception as exc:  # noqa: BLE001 - fail open, see above
        log.warning("request limits unavailable: %s", exc)
        return None
    if count <= limit:
        return None
    return (window + 1) * period - now


class WindowThrottle(BaseThrottle):
    """A fixed-window limit; subclasses say which bucket a request counts in, at what rate."""

    def __init__(self) -> None:
        self.wait_seconds: float | None = None

    def bucket_and_rate(self, request, view) -> tuple[str, tuple[int, int]] | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        chosen = self.bucket_and_rate(request, view)
        if chosen is None:
            return True
        bucket, rate = chosen
        self.wait_seconds = take(bucket, rate)
        return self.wait_seconds is None

    def wait(self) -> float | None:
        # DRF puts this in Retry-After (whole seconds); never say 0.
        return None if self.wait_seconds is None else max(1, math.ceil(self.wait_seconds))


class ApiKeyRateThrottle(WindowThrottle):
    def bucket_and_rate(self, request, view) -> tuple[str, tuple[int, int]] | None:
        key = request.auth if isinstance(request.auth, ApiKey) else None
        if key is None:
            return None
        # The prefix: unique per key and never reused, unlike an id after a rollback.
        return f"key:{key.prefix}", settings.BATON_API_KEY_RATE
