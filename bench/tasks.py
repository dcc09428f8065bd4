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
