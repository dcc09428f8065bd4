"""Raw Celery tasks: the baseline our engine is measured against (worker --include)."""

import time

import redis
from celery import shared_task
from django.conf import settings


@shared_task(name="bench.noop", acks_late=True, ignore_result=True)
def noop() -> None:
    return None


@shared_task(name="bench.done", acks_late=True, ignore_result=True)
def done(key: str) -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.rpush(key, repr(time.time()))
    client.close()


_client = None


def _reused_client():
    import httpx

    global _client
    if _client is None:
        _client = httpx.Client(timeout=30)
    return _client


@shared_task(name="bench.http_get", acks_late=True, ignore_result=True)
def http_get(url: str) -> None:
    """The baseline's HTTP call: the same request an http node makes, on a reused client."""
    _reused_client().get(url).raise_for_status()
