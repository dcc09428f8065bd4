"""Workers say they are alive in Redis; the health check counts them, and the sweeper
notices one that stopped without saying goodbye (killed, its host gone)."""

from __future__ import annotations

import redis
from django.conf import settings

HEARTBEAT_TTL_SECONDS = 15


def heartbeat_key(name: str) -> str:
    return f"{settings.BATON_CHANNEL_PREFIX}:worker:{name}"


def _roll_key() -> str:
    # Every worker that has beaten and not yet said goodbye.
    return f"{settings.BATON_CHANNEL_PREFIX}:workers"


def beat(client: redis.Redis, name: str) -> None:
    with client.pipeline(transaction=False) as pipe:
        pipe.set(heartbeat_key(name), "1", ex=HEARTBEAT_TTL_SECONDS)
        pipe.sadd(_roll_key(), name)
        pipe.execute()


def say_goodbye(client: redis.Redis, name: str) -> None:
    """A clean stop: Celery gives the tasks it held back to the broker itself."""
    with client.pipeline(transaction=False) as pipe:
        pipe.delete(heartbeat_key(name))
        pipe.srem(_roll_key(), name)
        pipe.execute()


def vanished_workers(client: redis.Redis) -> list[str]:
    """Workers whose heartbeat ran out without a goodbye; each is reported once (to the
    sweeper that takes it off the roll). The tasks such a worker had reserved but not
    started stay unacknowledged in the broker until someone sends that work again. Nobody
    while Redis is away."""
    try:
        return _take_vanished(client)
    except redis.RedisError:
        return []


def _take_vanished(client: redis.Redis) -> list[str]:
    names = sorted(member.decode() if isinstance(member, bytes) else member
                   for member in client.smembers(_roll_key()))
    if not names:
        return []
    with client.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.exists(heartbeat_key(name))
        beating = pipe.execute()
    gone = [name for name, alive in zip(names, beating, strict=True) if not alive]
    if not gone:
        return []
    with client.pipeline(transaction=False) as pipe:
        for name in gone:
            pipe.srem(_roll_key(), name)
        removed = pipe.execute()
    return [name for name, count in zip(gone, removed, strict=True) if count]


def sent_before_death_seconds(sweep_seconds: float) -> float:
    """How long ago anything a vanished worker reserved was sent, at least: it beat every
    sweep until it died, and its heartbeat outlived it by up to HEARTBEAT_TTL_SECONDS."""
    return max(1.0, HEARTBEAT_TTL_SECONDS - sweep_seconds)
