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
from django.utils import timezone

from . import callbacks, engine, limits, scheduler, store
from .children import notify_missed_parents
from .events import node_status_event
from .models import NodeRun, Run

log = logging.getLogger(__name__)


def sweep() -> dict[str, int]:
    now = timezone.now()
    return {
        "lost": requeue_lost_nodes(now),
        "woken": wake_due_nodes(now),
        "resent": resend_stale_queued(now),
        "restarted": restart_pending_runs(now),
        "parents": notify_missed_parents(now),
        "released": limits.release_held_runs(),
        "callbacks": callbacks.sweep_deliveries(now),
    }


def requeue_lost_nodes(now) -> int:
    """Running nodes whose worker is gone: the lease ran out, or the owner process on this
    host no longer exists."""
    candidates = NodeRun.objects.filter(status=engine.RUNNING).filter(
        Q(lease_expires_at__lt=now) | Q(lease_owner__startswith=f"{scheduler._HOST}:")
    )
    count = 0
    for pk, owner, expires_at in candidates.values_list("pk", "lease_owner", "lease_expires_at"):
        if expires_at is None or expires_at < now or scheduler.lease_owner_is_dead(owner):
            count += requeue_lost(pk)
    return count


def requeue_lost(node_pk: int) -> int:
    ref = store.node_ref(node_pk)
    if ref is None:
        return 0
    run_id, node_id = ref
    with scheduler.RunStep(run_id) as step:
        if step.run is None:
            return 0
        node = step.node(node_id)
        if node.status != engine.RUNNING:
            return 0
        if not scheduler._lease_is_lost(node.lease_owner, node.lease_expires_at, now=step.now):
            return 0
        if step.run.status not in engine.ACTIVE_RUN_STATUSES:
            scheduler._cancel_node(step, node)
            return 1
        if not scheduler._note_lost(step, node):
            return 1
        node.status = engine.QUEUED
        node.lease_owner = ""
        node.lease_expires_at = None
        node.message = "its worker was lost; queued again"
        step.touch(node, *scheduler.LEASE)
        step.dispatch(node)
        step.emit(node_status_event(node))
        log.warning("re-queued %s: its worker was lost", node)
        return 1


def wake_due_nodes(now) -> int:
    """Waiting nodes whose time has come, or whose resume task went missing."""
    stale = now - timedelta(seconds=settings.BATON_REQUEUE_AFTER_SECONDS)
    due = NodeRun.objects.filter(status=engine.WAITING).filter(
        Q(next_attempt_at__lte=now - timedelta(seconds=1))
        & (Q(queued_at__isnull=True) | Q(queued_at__lt=stale))
        | Q(next_attempt_at__isnull=True, queued_at__lt=stale)
    )
    from .tasks import wake_node

    count = 0
    for pk, queued_at in due.values_list("pk", "queued_at")[:500]:
        if NodeRun.objects.filter(pk=pk, queued_at=queued_at).update(queued_at=now):
            wake_node.apply_async(args=[pk])
            count += 1
    return count


def resend_stale_queued(now) -> int:
    """Queued nodes whose task never started (lost on the way, or its worker died before
    taking it)."""
    stale = now - timedelta(seconds=settings.BATON_REQUEUE_AFTER_SECONDS)
    rows = NodeRun.objects.filter(status=engine.QUEUED, queued_at__lt=stale).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=stale)
    )
    from .tasks import execute_node

    count = 0
    for pk, queued_at in rows.values_list("pk", "queued_at")[:500]:
        task_id = uuid.uuid4().hex
        if NodeRun.objects.filter(pk=pk, status=engine.QUEUED, queued_at=queued_at).update(
            queued_at=now, task_id=task_id
        ):
            execute_node.apply_async(args=[pk], task_id=task_id)
            count += 1
    return count


def restart_pending_runs(now) -> int:
    stale = now - timedelta(seconds=settings.BATON_REQUEUE_AFTER_SECONDS)
    from .tasks import start_run

    count = 0
    # Runs held in line by their team's cap are not lost: runs.limits starts them.
    waiting = Run.objects.filter(status=engine.PENDING, created_at__lt=stale, held_at__isnull=True)
    for run_id in waiting.values_list("id", flat=True)[:100]:
        start_run.apply_async(args=[str(run_id)])
        count += 1
    return count
