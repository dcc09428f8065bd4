"""The executable plan of a graph, built once from the one graph check and cached.

A run snapshots its graph and a digest of it; every process keeps the plans of the digests
it has seen, so a step finds a run's plan without reading or checking the graph again.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from flows.graph import (
    CheckedNode,
    GraphCheck,
    GraphError,
    check_graph,
    graph_digest,
    pinned_outputs,
)

from .core import engine
from .core.supply import PINNED, Supply

_PLAN_CACHE_SIZE = 128


@dataclass
class RunPlan:
    plan: engine.Plan
    nodes: dict[str, CheckedNode]
    errors: list[GraphError]
    # Outputs pinned in the graph (data.pinned), by node id: those nodes are not executed.
    pins: dict[str, Any] = field(default_factory=dict)

    def outputs_of(self, node_id: str) -> list[str]:
        node = self.nodes[node_id]
        return node.type.output_names(node.config)


def build_plan(check: GraphCheck) -> RunPlan:
    """The plan of a graph already checked (flows.graph.check_graph)."""
    runnable = {nid: node for nid, node in check.nodes.items() if node.type.executable}
    plan_nodes = [
        engine.PlanNode(
            id=node.id,
            type=node.type.type,
            inline=node.type.execution == "inline",
            many_inputs=frozenset(h.name for h in node.type.inputs if h.many),
        )
        for node in runnable.values()
    ]
    edges = [
        engine.Edge(e["id"], e["source"], e["sourceHandle"], e["target"], e["targetHandle"])
        for e in check.graph.get("edges", [])
    ]
    pins = {nid: pin for nid, pin in pinned_outputs(check).items() if nid in runnable}
    return RunPlan(engine.Plan(plan_nodes, edges), runnable, check.errors, pins)


_plans: OrderedDict[str, RunPlan] = OrderedDict()
# Which plan a run uses, so a step can ask for the nodes it needs along with the run's row.
_plan_of_run: OrderedDict[str, RunPlan] = OrderedDict()


def _remember(key: str, run_plan: RunPlan) -> RunPlan:
    _plans[key] = run_plan
    if len(_plans) > _PLAN_CACHE_SIZE:
        _plans.popitem(last=False)
    return run_plan


def plan_of_check(digest: str, check: GraphCheck) -> RunPlan:
    """The plan of a graph this process has just checked, cached under its digest."""
    run_plan = _plans.get(digest)
    if run_plan is None:
        run_plan = _remember(digest, build_plan(check))
    return run_plan


def plan_of_graph(digest: str, graph: dict[str, Any]) -> RunPlan:
    """The plan of a graph checked before (a run's snapshot), from the cache when it can."""
    run_plan = _plans.get(digest)
    if run_plan is None:
        run_plan = _remember(digest, build_plan(check_graph(graph)))
    else:
        _plans.move_to_end(digest)
    return run_plan


def plan_for(run: Any, graph: dict[str, Any] | None = None) -> RunPlan:
    """The run's plan, from this process's cache when a run of the same graph was seen.
    `graph` saves a query when the caller has the run's graph at hand."""
    from .models import Run

    key = run.graph_digest or str(run.pk)
    if key not in _plans and graph is None:
        graph = Run.objects.filter(pk=run.pk).values_list("graph", flat=True).first() or {}
    run_plan = plan_of_graph(key, graph or {})
    _plan_of_run[str(run.pk)] = run_plan
    if len(_plan_of_run) > _PLAN_CACHE_SIZE * 8:
        _plan_of_run.popitem(last=False)
    return run_plan


@dataclass(frozen=True)
class Checked:
    """A saved graph that passed the check: the graph as checked, its digest and plan."""

    source: dict[str, Any]
    graph: dict[str, Any]
    digest: str
    run_plan: RunPlan


_checked: OrderedDict[str, Checked] = OrderedDict()


def checked(graph: Any, saved_digest: str = "") -> Checked | list[GraphError]:
    """The check of a graph to run, or its problems. A saved graph (a flow's draft or a
    version) comes with the digest computed when it was saved: a process checks it once,
    and later starts find it under that digest (after making sure it is the same graph,
    in case a row was changed without its digest)."""
    if saved_digest:
        found = _checked.get(saved_digest)
        if found is not None and found.source == graph:
            _checked.move_to_end(saved_digest)
            return found
    check = check_graph(graph)
    if not check.valid:
        return check.errors
    digest = graph_digest(check.graph)
    result = Checked(graph, check.graph, digest, plan_of_check(digest, check))
    if saved_digest:
        _checked[saved_digest] = result
        if len(_checked) > _PLAN_CACHE_SIZE:
            _checked.popitem(last=False)
    return result


def known_plan(run_id: str) -> RunPlan | None:
    """The plan of a run this process has stepped before, if it still remembers it."""
    return _plan_of_run.get(run_id)


def supplied_fields(supply: Supply | None) -> dict[str, Any]:
    """The NodeRun fields of a supplied node, made with its output and the handles it
    fires: the engine reads them when the node becomes ready
    (runs.transitions.supplied_outcome)."""
    if supply is None:
        return {}
    return {"source": supply.source, "source_run_id": supply.source_run, "output": supply.output,
            "handles": supply.handles}


def pinned_fields(run_plan: RunPlan, node_id: str) -> dict[str, Any]:
    """The NodeRun fields of a node of a run that reuses nothing: its pin, if it has one."""
    if node_id not in run_plan.pins:
        return {}
    return supplied_fields(Supply(PINNED, run_plan.pins[node_id]))
