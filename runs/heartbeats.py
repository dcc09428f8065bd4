"""Workers say they are alive in Redis; the health check counts them."""

from __future__ import annotations

from django.conf import settings

HEARTBEAT_TTL_SECONDS = 15


def heartbeat_key(name: str) -> str:
    return f"{settings.BATON_CHANNEL_PREFIX}:worker:{name}"
