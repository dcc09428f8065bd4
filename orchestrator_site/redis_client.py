"""One Redis client per process for what web processes ask Redis directly (the health check,
`?wait` requests waiting on a run's end): a bounded pool of connections shared by every
request thread, instead of a new client and connection per request."""

from __future__ import annotations

import os
import threading

import redis
from django.conf import settings

MAX_CONNECTIONS = 64

# (process, address) → client: made anew in a forked child, or when the address changes.
_client: tuple[tuple[int, str], redis.Redis] | None = None
_lock = threading.Lock()


def shared_redis() -> redis.Redis:
    global _client
    key = (os.getpid(), settings.REDIS_URL)
    current = _client
    if current is not None and current[0] == key:
        return current[1]
    with _lock:
        if _client is None or _client[0] != key:
            pool = redis.BlockingConnectionPool.from_url(
                settings.REDIS_URL, max_connections=MAX_CONNECTIONS, timeout=5,
                socket_timeout=5, socket_connect_timeout=2,
            )
            _client = (key, redis.Redis(connection_pool=pool))
        return _client[1]
