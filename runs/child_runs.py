"""Child runs, asked for and made: sub-flows, map items and agent tools run as runs of
their own, linked to the node that started them (Run.parent_run, parent_node_id,
parent_key). How their ends come back to the parent: runs.children.

- a node asks for a child (ExecutionContext.start_child_run → `child_intent`: the flow is
  checked against the run's team and validated, outside any lock);
- it is created in the step that records the node's Suspend (`create_children`, after
  `reserve_children` counted it against the top-level run's allowance), so a node whose
  worker dies before that step creates nothing, and its re-run starts afresh: no child is
  started twice, none is left without a parent waiting for it;
- the parent reads its children's ends from the database (`read_children`).
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db.models import F

from flows.graph import graph_digest
from flows.nodes.base import ChildRun, FatalNodeError

from . import plans
from .core.outcomes import ChildIntent
from .effects import START_RUN
from .models import NodeRun, Run
from .step import RunStep

log = logging.getLogger(__name__)

MAX_CHILD_INPUT_BYTES = 1024 * 1024


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
            "id", "name", "graph", "graph_digest", "revision"
        ).first()
        if flow is None:
            raise FatalNodeError(f"flow {flow_id} is not a flow of this team")
        depth = run_depth(parent_run_id)
        if depth >= settings.BATON_MAX_CHILD_DEPTH:
            raise FatalNodeError(
                f"sub-flows nest {depth} deep here; the limit is {settings.BATON_MAX_CHILD_DEPTH} "
                "(does a flow call itself?)"
            )
        found = plans.checked(flow["graph"], flow["graph_digest"])
        if not isinstance(found, plans.Checked):
            first = found[0]
            where = f"node {first['node_id']}: " if first.get("node_id") else ""
            raise FatalNodeError(f"flow {flow['name']!r} is invalid: {where}{first['message']}")
        if not found.run_plan.plan.nodes:
            raise FatalNodeError(f"flow {flow['name']!r} has no nodes that run")
        checked = cache[flow_id] = (flow, found.graph)
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


def reserve_children(step: RunStep, count: int) -> str | None:
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


def create_children(step: RunStep, node: NodeRun, intents: list[ChildIntent]) -> None:
    """Create the child runs a node asked for (reserved with reserve_children), in the step
    recording its outcome; they start after the commit."""
    root_id = step.run.root_run_id or step.run.pk
    runs: list[Run] = []
    node_runs: list[NodeRun] = []
    for intent in intents:
        digest = graph_digest(intent.graph)
        run_plan = plans.plan_of_graph(digest, intent.graph)
        plan = run_plan.plan
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
            # A replay's children answer from the same recordings (their runs' children).
            replay=step.run.replay or [],
        )
        runs.append(run)
        node_runs.extend(
            NodeRun(run=run, node_id=plan_node.id, type=plan_node.type, blockers=plan.blockers(plan_node.id),
                    **plans.pinned_fields(run_plan, plan_node.id))
            for plan_node in plan.nodes.values()
        )
    Run.objects.bulk_create(runs)
    NodeRun.objects.bulk_create(node_runs, batch_size=500)
    for intent in intents:
        step.effects.send(START_RUN, intent.run_id)


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


