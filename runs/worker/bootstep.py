"""What every worker process does besides running tasks: sweep for lost and due work, and
say it is alive (the health check looks for these heartbeats). orchestrator_site.celery
adds this step by name, so only workers import it."""

from __future__ import annotations

import logging
import socket

from celery import bootsteps
from django.conf import settings

from .. import heartbeats, leases
from ..store import release_connection
from . import broker_fixes

log = logging.getLogger(__name__)


class MaintenanceStep(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None
        self.redis = None
        # Unique per worker (make worker and the launcher give each a name of its own), so
        # the health check counts workers, and one stopping leaves the others' beats alone.
        self.name = getattr(worker, "hostname", None) or socket.gethostname()
        install_process_hooks()
        leases.set_worker_name(self.name)
        broker_fixes.apply()
        _hand_the_gil_over_sooner()  # the threads pool runs nodes in this very process

    def start(self, worker) -> None:
        self.tref = worker.timer.call_repeatedly(
            settings.BATON_SWEEP_SECONDS, self.tick, priority=10
        )
        self.tick()

    def stop(self, worker) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        if self.redis is not None:
            try:
                heartbeats.say_goodbye(self.redis, self.name)
            except Exception:  # noqa: BLE001 - shutting down anyway
                pass

    def tick(self) -> None:
        from .sweeper import sweep

        try:
            if self.redis is None:
                import redis

                self.redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
            heartbeats.beat(self.redis, self.name)
            found = sweep()
            if any(found.values()):
                log.info("sweep: %s", found)
        except Exception as exc:  # noqa: BLE001 - the next tick tries again
            log.warning("maintenance tick failed: %s", exc)
        finally:
            release_connection()


def _hand_the_gil_over_sooner(**kwargs) -> None:
    # The thread pushing events must not wait behind the next node's step for CPython's
    # default 5 ms switch interval: a pushed event then sits a few ms before it leaves.
    import sys

    sys.setswitchinterval(0.0005)


def install_process_hooks() -> None:
    from celery.signals import worker_process_init

    worker_process_init.connect(_hand_the_gil_over_sooner, weak=False)
