"""Run actions for the API: starting, cancelling, resuming, waiting, reading."""

from __future__ import annotations

import time
from typing import Any

import redis
from django.conf import settings
from django.db import connection, transaction
from rest_framework.exceptions import ValidationError

from flows.graph import check_graph
from orchestrator_site.errors import Conflict, GraphInvalid

from . import engine, scheduler
from .events import finished_channel
from .models import NodeRun, Run

MAX_WAIT_SECONDS = 300.0
MAX_INPUT_BYTES = 1024 * 1024


def check_inputs(inputs: Any) -> dict[str, Any]:
    if inputs is None:
        return {}
    if not isinstance(inputs, dict):
        raise ValidationError({"inputs": "must be a JSON object"})
    return inputs


def do_start_run(
    *,
    flow,
    user,
    inputs: dict[str, Any],
    graph: Any = None,
    trigger: str = "api",
    parent_run: Run | None = None,
    parent_node_id: str = "",
) -> Run:
    """Validate the graph (the flow's, or a draft), snapshot it on a new run with one node
    run per executable node, and hand the run to a worker."""
    check = check_graph(graph if graph is not None else flow.graph)
    if not check.valid:
        raise GraphInvalid(check.errors)
    run_plan = scheduler.build_plan(check.graph)
    if not run_plan.plan.nodes:
        raise ValidationError({"graph": "the flow has no nodes that run"})
    with transaction.atomic():
        run = Run.objects.create(
            team_id=flow.team_id,
            flow=flow,
            flow_revision=flow.revision,
            trigger=trigger,
            inputs=inputs,
            graph=check.graph,
            graph_digest=scheduler.graph_digest(check.graph),
            created_by=user,
            parent_run=parent_run,
            parent_node_id=parent_node_id,
        )
        NodeRun.objects.bulk_create(
            [
                NodeRun(
                    run=run,
                    node_id=node.id,
                    type=node.type,
                    blockers=run_plan.plan.blockers(node.id),
                )
                for node in run_plan.plan.nodes.values()
            ],
            batch_size=500,
        )
        transaction.on_commit(lambda: _send_start(run.id))
    return run


def _send_start(run_id) -> None:
    from .tasks import start_run

    start_run.apply_async(args=[str(run_id)])


def do_cancel_run(run: Run, user) -> Run:
    if not scheduler.cancel_run(str(run.id), by=user.get_username()):
        run.refresh_from_db()
        raise Conflict(f"the run has already ended ({run.status})", status=run.status)
    run.refresh_from_db()
    return run


def check_resume_payload(run: Run, node_id: str, payload: Any) -> None:
    """400 when the waiting node's type says the payload is not one it takes."""
    from flows.nodes import get_node_type

    raw = next((n for n in (run.graph or {}).get("nodes", []) if n.get("id") == node_id), None)
    node_type = get_node_type(raw.get("type", "")) if raw else None
    problem = node_type.check_resume(payload) if node_type is not None else None
    if problem is not None:
        raise ValidationError({"error": problem})


def do_resume_node(run: Run, node_id: str, payload: Any) -> None:
    check_resume_payload(run, node_id, payload)
    problem = scheduler.request_resume(str(run.id), node_id, payload)
    if problem is not None:
        raise Conflict(problem)


def parse_wait(value: str | None) -> float:
    if value in (None, ""):
        return 0.0
    try:
        seconds = float(value)
    except ValueError:
        raise ValidationError({"wait": f"must be a number of seconds, not {value!r}"}) from None
    if not 0 <= seconds <= MAX_WAIT_SECONDS:
        raise ValidationError({"wait": f"must be between 0 and {MAX_WAIT_SECONDS:g} seconds"})
    return seconds


def wait_for_run(run_id, timeout: float) -> None:
    """Return when the run has ended or `timeout` seconds have passed."""
    if timeout <= 0:
        return
    deadline = time.monotonic() + timeout
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    try:
        pubsub.subscribe(finished_channel(str(run_id)))
        while True:
            status = Run.objects.filter(pk=run_id).values_list("status", flat=True).first()
            if status not in engine.ACTIVE_RUN_STATUSES:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            # Recheck the database now and then as well: a notice can be missed.
            pubsub.get_message(timeout=min(remaining, 1.0))
    finally:
        pubsub.close()
        client.close()


def run_snapshot(run_id) -> tuple[Run, list[NodeRun]] | None:
    """The run and its nodes as of one instant, with the `seq` of that instant."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        run = Run.objects.select_related("created_by").filter(pk=run_id).first()
        if run is None:
            return None
        nodes = list(NodeRun.objects.filter(run_id=run_id).order_by("id"))
    return run, nodes
