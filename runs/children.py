"""Child runs: sub-flows, map items and agent tools run as runs of their own, linked to the
node that started them (Run.parent_run, parent_node_id, parent_key).

The life of a child:
- a node asks for it (ExecutionContext.start_child_run → `child_intent`: the flow is
  checked against the run's team and validated, outside any lock);
- it is created in the step that records the node's Suspend (`create_children`), so a node
  whose worker dies before that step creates nothing, and its re-run starts afresh: no
  child is started twice, none is left without a parent waiting for it;
- when it ends, `run_finished` tells its parent node (`notify_parent`), which resumes and
  reads the ends of its children from the database (`read_children`). Telling and marking
  the child `parent_notified` happen in one step; the sweeper tells parents of ended
  children still unmarked (`notify_missed_parents`), so a worker dying between a child's
  end and the telling loses nothing. A parent that reads a child twice counts it once: it
  keeps results by key.
- a parent run that fails or is cancelled cancels its children that still run.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.dispatch import receiver

from flows.graph import check_graph
from flows.nodes.base import ChildRun, FatalNodeError

from . import engine, scheduler
from .models import NodeRun, Run
from .outcomes import ChildIntent
from .signals import run_finished

log = logging.getLogger(__name__)

MAX_CHILD_INPUT_BYTES = 1024 * 1024
ENDED = (engine.SUCCEEDED, engine.FAILED, engine.CANCELLED)
# Ended children whose parent was not told within this long are told by the sweeper.
MISSED_AFTER_SECONDS = 3.0


def child_intent(
    *,
    team_id: int,
    parent_run_id: str,
    flow_id: int | None,
    inputs: Any,
    key: str,
    trigger: str,
    cache: dict[int, Any],
) -> ChildIntent:
    """Check that a child run of `flow_id` may start; FatalNodeError says why not."""
    from flows.models import Flow

    if flow_id is None:
        raise FatalNodeError("no flow chosen: pick one of the team's flows in the node's config")
    if not isinstance(inputs, dict):
        raise FatalNodeError("a child run's inputs must be an object")
    try:
        size = len(json.dumps(inputs))
    except (TypeError, ValueError) as exc:
        raise FatalNodeError(f"a child run's inputs must be JSON: {exc}") from None
    if size > MAX_CHILD_INPUT_BYTES:
        raise FatalNodeError(f"a child run's inputs are {size} bytes; the limit is {MAX_CHILD_INPUT_BYTES}")
    checked = cache.get(flow_id)
    if checked is None:
        flow = Flow.objects.filter(pk=flow_id, team_id=team_id).values(
            "id", "name", "graph", "revision"
        ).first()
        if flow is None:
            raise FatalNodeError(f"flow {flow_id} is not a flow of this team")
        depth = run_depth(parent_run_id)
        if depth >= settings.BATON_MAX_CHILD_DEPTH:
            raise FatalNodeError(
                f"sub-flows nest {depth} deep here; the limit is {settings.BATON_MAX_CHILD_DEPTH} "
                "(does a flow call itself?)"
            )
        check = check_graph(flow["graph"])
        if not check.valid:
            first = check.errors[0]
            where = f"node {first['node_id']}: " if first.get("node_id") else ""
            raise FatalNodeError(f"flow {flow['name']!r} is invalid: {where}{first['message']}")
        digest = scheduler.graph_digest(check.graph)
        if not scheduler.plan_of_graph(digest, check.graph).plan.nodes:
            raise FatalNodeError(f"flow {flow['name']!r} has no nodes that run")
        checked = cache[flow_id] = (flow, check.graph)
    flow, graph = checked
    return ChildIntent(
        run_id=str(uuid.uuid4()),
        flow_id=flow["id"],
        flow_revision=flow["revision"],
        key=str(key)[:100],
        inputs=inputs,
        graph=graph,
        trigger=trigger[:20],
    )


def run_depth(run_id: str) -> int:
    """How many parents the run has."""
    depth = 0
    current = Run.objects.filter(pk=run_id).values_list("parent_run_id", flat=True).first()
    while current is not None and depth <= settings.BATON_MAX_CHILD_DEPTH:
        depth += 1
        current = Run.objects.filter(pk=current).values_list("parent_run_id", flat=True).first()
    return depth


def reserve_children(step: scheduler.RunStep, count: int) -> str | None:
    """Count `count` more child runs against the top-level run's allowance; a problem when
    that would pass BATON_MAX_CHILD_RUNS (a compare-and-set on the top-level run's row, so
    runs of one tree racing each other cannot pass it together)."""
    root_id = step.run.root_run_id or step.run.pk
    limit = settings.BATON_MAX_CHILD_RUNS
    taken = Run.objects.filter(pk=root_id, descendant_count__lte=limit - count).update(
        descendant_count=F("descendant_count") + count
    )
    if taken:
        return None
    return (
        f"starting {count} more child run{'s' if count != 1 else ''} would pass the limit of "
        f"{limit} child runs for one run (sub-flows, map items and agent tools, at every "
        "depth; BATON_MAX_CHILD_RUNS)"
    )


def create_children(step: scheduler.RunStep, node: NodeRun, intents: list[ChildIntent]) -> None:
    """Create the child runs a node asked for (reserved with reserve_children), in the step
    recording its outcome; they start after the commit."""
    root_id = step.run.root_run_id or step.run.pk
    runs = []
    node_runs = []
    for intent in intents:
        digest = scheduler.graph_digest(intent.graph)
        plan = scheduler.plan_of_graph(digest, intent.graph).plan
        run = Run(
            id=uuid.UUID(intent.run_id),
            team_id=step.run.team_id,
            flow_id=intent.flow_id,
            flow_revision=intent.flow_revision,
            trigger=intent.trigger,
            inputs=intent.inputs,
            graph=intent.graph,
            graph_digest=digest,
            created_by_id=step.run.created_by_id,
            parent_run_id=step.run.pk,
            parent_node_id=node.node_id,
            parent_key=intent.key,
            root_run_id=root_id,
        )
        runs.append(run)
        node_runs.extend(
            NodeRun(run=run, node_id=plan_node.id, type=plan_node.type, blockers=plan.blockers(plan_node.id))
            for plan_node in plan.nodes.values()
        )
    Run.objects.bulk_create(runs)
    NodeRun.objects.bulk_create(node_runs, batch_size=500)
    run_ids = [intent.run_id for intent in intents]
    transaction.on_commit(lambda: _start(run_ids))


def _start(run_ids: list[str]) -> None:
    from .tasks import start_run

    for run_id in run_ids:
        start_run.apply_async(args=[run_id])


def read_children(parent_run_id: str, node_id: str, run_ids: list[str]) -> list[ChildRun]:
    """The children named, in that order (those that do not exist are left out)."""
    rows = {
        str(row["id"]): row
        for row in Run.objects.filter(
            pk__in=run_ids, parent_run_id=parent_run_id, parent_node_id=node_id
        ).values("id", "parent_key", "status", "outputs", "error", "usage")
    }
    return [
        ChildRun(
            id=run_id,
            key=row["parent_key"],
            status=row["status"],
            outputs=row["outputs"] or {},
            error=row["error"],
            usage=row["usage"] or {},
        )
        for run_id in run_ids
        if (row := rows.get(str(run_id))) is not None
    ]


def cancel_children_after_commit(run_ids: list[str]) -> None:
    ids = list(run_ids)
    if ids:
        transaction.on_commit(lambda: cancel_children(ids, "its parent node stopped waiting for it"))


def cancel_children(run_ids: list[str], why: str) -> None:
    for run_id in run_ids:
        try:
            scheduler.cancel_run(str(run_id), by=why)
        except Exception as exc:  # noqa: BLE001 - one child must not keep the others running
            log.warning("could not cancel child run %s: %s", run_id, exc)


def notify_parent(parent_run_id: str, node_id: str, child_id: str) -> None:
    """Wake the parent node of an ended child (it reads its children itself), and mark the
    child as told, in one step."""
    with scheduler.RunStep(parent_run_id) as step:
        if step.run is not None and step.run.status in engine.ACTIVE_RUN_STATUSES:
            if node_id in step.plan.plan.nodes:
                node = step.node(node_id)
                if node.status == engine.WAITING:
                    # A payload already pending means a resume is on its way; it takes the
                    # lock after us and so sees this child's end too.
                    scheduler.hand_payload(step, node, {"child": child_id})
        Run.objects.filter(pk=child_id).update(parent_notified=True)


@receiver(run_finished, dispatch_uid="runs.children.on_run_finished")
def on_run_finished(sender, run_id: str, status: str = "", parent_run_id: str | None = None,
                    parent_node_id: str = "", **kwargs) -> None:
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


def notify_missed_parents(now) -> int:
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
