"""Finding work that was lost, and work that has come due.

Every worker sweeps every few seconds; the sweeps may overlap, so each action is a
compare-and-set (or happens inside a RunStep) and the loser of a race does nothing.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db.models import Q

from orchestrator_site.redis_client import shared_redis

from .. import cache, callbacks, heartbeats, leases, limits, store
from ..children import notify_missed_parents
from ..core import engine
from ..effects import EXECUTE_NODE, START_RUN, WAKE_NODE, Effects
from ..models import NodeRun, Run

log = logging.getLogger(__name__)


def sweep() -> dict[str, int]:
    # The database's clock: what workers wrote (due times, queued times) was stamped on it.
    now = store.database_now()
    memory = leases.redis_memory()
    # Redis came back empty (restarted without its data): every task it held is gone, so
    # queued work is sent again now rather than after BATON_REQUEUE_AFTER_SECONDS. (A
    # task that survived elsewhere is dropped when it arrives: its id is no longer the
    # node's.)
    forgot = memory is not None and memory[1]
    if forgot:
        log.warning("Redis has forgotten its tasks (it restarted empty): sending queued work again")
    lost_after = timedelta(seconds=1) if forgot else None
    # A worker died holding tasks it had reserved but not started: their work is sent again
    # now (the worker's stale copies are dropped when they arrive: their ids are no longer
    # the nodes'), not after BATON_REQUEUE_AFTER_SECONDS.
    vanished = [] if memory is None or forgot else heartbeats.vanished_workers(shared_redis())
    if vanished and lost_after is None:
        log.warning("workers gone without a goodbye: %s; sending their queued work again",
                    ", ".join(vanished))
        lost_after = timedelta(seconds=heartbeats.sent_before_death_seconds(
            settings.BATON_SWEEP_SECONDS))
    return {
        "lost": leases.reclaim_lost_nodes(),
        "woken": wake_due_nodes(now),
        "resent": resend_stale_queued(now, lost_after),
        "restarted": restart_pending_runs(now, lost_after),
        "parents": notify_missed_parents(now),
        "released": limits.release_held_runs(),
        "callbacks": callbacks.sweep_deliveries(now),
        "cache": cache.purge_expired(now),
    }


def wake_due_nodes(now) -> int:
    """Waiting nodes whose wake-up is overdue by BATON_WAKE_GRACE_SECONDS (lost with a
    worker or a broker restart), or whose resume task (an answered approval) went missing.
    `queued_at` is when a wake-up was last sent: at most one per grace period."""
    grace = now - timedelta(seconds=settings.BATON_WAKE_GRACE_SECONDS)
    due = NodeRun.objects.filter(status=engine.WAITING).filter(
        Q(next_attempt_at__lte=grace) & (Q(queued_at__isnull=True) | Q(queued_at__lt=grace))
        | Q(next_attempt_at__isnull=True, queued_at__lt=grace)
    )
    effects = Effects()
    for pk, queued_at in due.values_list("pk", "queued_at")[:500]:
        if NodeRun.objects.filter(pk=pk, queued_at=queued_at).update(queued_at=now):
            effects.send(WAKE_NODE, pk)
    effects.perform()
    return len(effects.tasks)


def resend_stale_queued(now, lost_after: timedelta | None = None) -> int:
    """Queued nodes whose task never started (lost on the way, or its worker died before
    taking it): queued longer than BATON_REQUEUE_AFTER_SECONDS, or `lost_after` when the
    broker is known to have lost its tasks."""
    stale = now - (lost_after or timedelta(seconds=settings.BATON_REQUEUE_AFTER_SECONDS))
    rows = NodeRun.objects.filter(status=engine.QUEUED, queued_at__lt=stale).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=stale)
    )
    effects = Effects()
    for pk, queued_at in rows.values_list("pk", "queued_at")[:500]:
        task_id = uuid.uuid4().hex
        if NodeRun.objects.filter(pk=pk, status=engine.QUEUED, queued_at=queued_at).update(
            queued_at=now, task_id=task_id
        ):
            effects.send(EXECUTE_NODE, pk, task_id=task_id)
    effects.perform()
    return len(effects.tasks)


def restart_pending_runs(now, lost_after: timedelta | None = None) -> int:
    stale = now - (lost_after or timedelta(seconds=settings.BATON_REQUEUE_AFTER_SECONDS))
    effects = Effects()
    # Runs held in line by their team's cap are not lost: runs.limits starts them.
    waiting = Run.objects.filter(status=engine.PENDING, created_at__lt=stale, held_at__isnull=True)
    for run_id in waiting.values_list("id", flat=True)[:100]:
        effects.send(START_RUN, str(run_id))
    effects.perform()
    return len(effects.tasks)
