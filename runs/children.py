"""How a child run's end comes back to its parent, and a parent's end to its children.

(How children are asked for and made: runs.child_runs.)
- when a child ends, `run_finished` tells its parent node (`notify_parent`), which resumes
  and reads the ends of its children from the database. Telling and marking the child
  `parent_notified` happen in one step; the sweeper tells parents of ended children still
  unmarked (`notify_missed_parents`), so a worker dying between a child's end and the
  telling loses nothing. A parent that reads a child twice counts it once: it keeps
  results by key.
- a parent run that fails or is cancelled cancels its children that still run.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.dispatch import receiver

from .core import engine
from .effects import run_finished
from .models import Run
from .step import RunStep
from .transitions import cancel_run
from .waits import hand_payload

log = logging.getLogger(__name__)

ENDED = (engine.SUCCEEDED, engine.FAILED, engine.CANCELLED)
# Ended children whose parent was not told within this long are told by the sweeper.
MISSED_AFTER_SECONDS = 3.0


def cancel_children(run_ids: list[str], why: str) -> None:
    for run_id in run_ids:
        try:
            cancel_run(str(run_id), by=why)
        except Exception as exc:  # noqa: BLE001 - one child must not keep the others running
            log.warning("could not cancel child run %s: %s", run_id, exc)


def notify_parent(parent_run_id: str, node_id: str, child_id: str) -> None:
    """Wake the parent node of an ended child (it reads its children itself), and mark the
    child as told, in one step."""
    with RunStep(parent_run_id) as step:
        if step.run is not None and step.run.status in engine.ACTIVE_RUN_STATUSES:
            if node_id in step.plan.plan.nodes:
                node = step.node(node_id)
                if node.status == engine.WAITING:
                    # A payload already pending means a resume is on its way; it takes the
                    # lock after us and so sees this child's end too.
                    hand_payload(step, node, {"child": child_id})
        Run.objects.filter(pk=child_id).update(parent_notified=True)


@receiver(run_finished, dispatch_uid="runs.children.on_run_finished")
def on_run_finished(sender: Any, run_id: str, status: str = "", parent_run_id: str | None = None,
                    parent_node_id: str = "", **kwargs: Any) -> None:
    if parent_run_id:
        try:
            notify_parent(parent_run_id, parent_node_id, run_id)
        except Exception as exc:  # noqa: BLE001 - the sweeper tells the parent later
            log.warning("could not tell the parent of run %s: %s", run_id, exc)
    if status in (engine.FAILED, engine.CANCELLED):
        active = list(
            Run.objects.filter(parent_run_id=run_id, status__in=engine.ACTIVE_RUN_STATUSES)
            .values_list("id", flat=True)
        )
        if active:
            cancel_children([str(pk) for pk in active], "its parent run ended")


def notify_missed_parents(now: datetime) -> int:
    """The sweeper's part: ended children whose parent was never told."""
    before = now - timedelta(seconds=MISSED_AFTER_SECONDS)
    rows = Run.objects.filter(
        parent_run__isnull=False, parent_notified=False, status__in=ENDED, finished_at__lt=before
    ).values_list("id", "parent_run_id", "parent_node_id")[:100]
    count = 0
    for child_id, parent_id, node_id in rows:
        notify_parent(str(parent_id), node_id, str(child_id))
        count += 1
    return count
