"""Small builders for graphs, flows and runs used across the suites."""

from __future__ import annotations

import time
from typing import Any

from flows.models import Flow
from runs.core import engine
from runs.models import NodeRun, Run


def node(node_id: str, type_: str, settings: dict | None = None, label: str = "", **config: Any) -> dict:
    data: dict[str, Any] = {"label": label or node_id, "config": config}
    if settings:
        data["settings"] = settings
    return {"id": node_id, "type": type_, "position": {"x": 0, "y": 0}, "data": data}


def edge(source: str, target: str, source_handle: str = "out", target_handle: str = "in") -> dict:
    return {
        "id": f"{source}.{source_handle}->{target}.{target_handle}",
        "source": source,
        "sourceHandle": source_handle,
        "target": target,
        "targetHandle": target_handle,
    }


def graph(nodes: list[dict], edges: list[dict]) -> dict:
    return {"nodes": nodes, "edges": edges}


def chain_graph(length: int, type_: str = "template", **config: Any) -> dict:
    """input → `length` nodes of one type → output."""
    nodes = [node("in", "input")]
    edges = []
    previous = "in"
    for index in range(length):
        node_id = f"n{index}"
        nodes.append(node(node_id, type_, **config))
        edges.append(edge(previous, node_id))
        previous = node_id
    nodes.append(node("out", "output", key="result"))
    edges.append(edge(previous, "out"))
    return graph(nodes, edges)


def make_flow(user, graph_: dict, team=None, name: str = "A flow") -> Flow:
    from accounts.services import personal_team

    return Flow.objects.create(
        team=team or personal_team(user), name=name, graph=graph_, created_by=user, updated_by=user
    )


def start(flow: Flow, user, inputs: dict | None = None) -> Run:
    from runs.services import do_start_run

    return do_start_run(flow=flow, user=user, inputs=inputs or {})


def wait_for_run(run: Run | str, timeout: float = 30.0, statuses=None) -> Run:
    """Poll until the run has ended (or reached one of `statuses`)."""
    run_id = run.pk if isinstance(run, Run) else run
    wanted = set(statuses) if statuses else set(engine.RUN_STATUSES) - engine.ACTIVE_RUN_STATUSES
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = Run.objects.get(pk=run_id)
        if current.status in wanted:
            return current
        time.sleep(0.02)
    current = Run.objects.get(pk=run_id)
    nodes = {n.node_id: (n.status, n.error) for n in current.node_runs.all()}
    raise AssertionError(f"run still {current.status} after {timeout} s; nodes: {nodes}")


def wait_for_node(run: Run, node_id: str, statuses: set[str], timeout: float = 30.0) -> NodeRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        node_run = NodeRun.objects.get(run=run, node_id=node_id)
        if node_run.status in statuses:
            return node_run
        time.sleep(0.02)
    raise AssertionError(f"node {node_id} never reached {statuses}")


def nodes_of(run: Run) -> dict[str, NodeRun]:
    return {n.node_id: n for n in NodeRun.objects.filter(run=run)}


def signed_in(user):
    """An API client signed in as the user (a session, not a key)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def asked(http_server, step: str) -> int:
    """How many requests the test HTTP server got for `?step=<step>`."""
    return sum(1 for r in http_server.requests if r["query"].get("step") == step)
