"""A workaround for a crash in Celery 5.7 / kombu 5.7 (the newest releases) when the broker
goes away while tasks are unacknowledged.

On losing its Redis connection the worker's consumer drops the connection object and then
closes it. Closing gives back the unacknowledged messages, and a late task finishing
afterwards acknowledges its message: both ask the detached connection for its address and
raise AttributeError — not one of the connection errors kombu expects there, so the worker
stops for good ("Unrecoverable error: AttributeError("'NoneType' object has no attribute
'hostname'")", see celery/celery#10205 and celery/kombu#582, #970). Here a channel whose
connection is gone raises redis's ConnectionError instead, which kombu handles: the
give-back is skipped (the messages stay in Redis's unacknowledged set, and kombu restores
them after the visibility timeout), the acknowledgement is logged as failed, and the worker
reconnects. The engine does not depend on either: leases, heartbeats and the sweeper find
the work. tests/integration/test_faults.py kills Redis under a running node with both
worker pools.
"""

from __future__ import annotations

_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
    from kombu.transport import redis as redis_transport
    from redis.exceptions import ConnectionError as RedisConnectionError

    original = redis_transport.Channel._connparams

    def _connparams(self, asynchronous=False):
        if self.connection is None or getattr(self.connection, "client", None) is None:
            raise RedisConnectionError("the broker connection has been closed")
        return original(self, asynchronous=asynchronous)

    redis_transport.Channel._connparams = _connparams  # type: ignore[method-assign]
    _applied = True
