"""A run as JSON, the one way: the API's answers, the live snapshot (websocket and SSE),
and callbacks' bodies all come from here.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from rest_framework import serializers

from . import store
from .core import engine
from .core.cache import CACHED
from .core.supply import SOURCES
from .models import NodeRun, Run
from .plans import plan_for


class NodeRunSerializer(serializers.ModelSerializer):
    duration_ms = serializers.IntegerField(read_only=True, allow_null=True)
    reason = serializers.SerializerMethodField()
    source = serializers.ChoiceField(
        choices=(*SOURCES, CACHED), read_only=True, allow_null=True,
        help_text="Where the output came from when the node was not executed: pinned in the "
        "graph, reused from `source_run`, or cached (the node output cache answered the same "
        "request, first computed in `source_run`); replayed: executed with every request "
        "answered from the recording of `source_run`; null: executed in this run",
    )
    source_run = serializers.UUIDField(
        source="source_run_id", read_only=True, allow_null=True,
        help_text="The run a reused or cached output was computed in, or whose recording a "
        "replayed node's requests were answered from",
    )

    class Meta:
        model = NodeRun
        fields = [
            "node_id", "type", "status", "attempts", "output", "error", "message", "stream",
            "usage", "details", "started_at", "finished_at", "duration_ms", "reason", "worker",
            "source", "source_run",
        ]

    def get_reason(self, node) -> str | None:
        plan = self.context.get("plan")
        statuses = self.context.get("statuses")
        if plan is None or node.node_id not in plan.nodes:
            return None
        if node.status == engine.WAITING:
            return node.message or "waiting"
        reason = engine.pending_reason(plan, node.node_id, statuses)
        if self.context.get("held") and reason == "waiting for the run to start":
            return "waiting for the run to start: the team's limit of runs in progress is reached"
        return reason


class RunSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    duration_ms = serializers.IntegerField(read_only=True, allow_null=True)
    version = serializers.IntegerField(
        source="version.number",
        read_only=True,
        allow_null=True,
        help_text="The published version that ran (null: the draft)",
    )
    resumed_from = serializers.UUIDField(
        source="resumed_from_id", read_only=True, allow_null=True,
        help_text="The run this one resumes (POST /api/runs/<id>/resume/)",
    )
    waiting_for_slot = serializers.SerializerMethodField(
        help_text="The run waits in line: its team's cap on runs in progress is reached"
    )
    replay = serializers.ListField(
        child=serializers.UUIDField(), read_only=True,
        help_text="Replay mode: the runs whose recorded exchanges answer this run's model "
        "and HTTP requests, with no network (empty: requests go out and are recorded)",
    )

    class Meta:
        model = Run
        fields = [
            "id", "flow", "flow_revision", "version", "team", "status", "trigger", "inputs",
            "outputs", "error", "usage", "parent_run", "parent_node_id", "parent_key",
            "created_by", "created_at", "started_at", "finished_at", "duration_ms",
            "waiting_for_slot", "resumed_from", "replay",
        ]
        read_only_fields = fields

    def get_waiting_for_slot(self, run) -> bool:
        return run.status == engine.PENDING and run.held_at is not None


class ChildRunSerializer(serializers.ModelSerializer):
    duration_ms = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Run
        fields = [
            "id", "flow", "status", "parent_node_id", "parent_key", "error", "usage",
            "created_at", "started_at", "finished_at", "duration_ms",
        ]
        read_only_fields = fields


class RunDetailSerializer(RunSerializer):
    seq = serializers.IntegerField(source="event_seq", read_only=True)
    nodes = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField()

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "graph", "seq", "nodes", "children"]
        read_only_fields = fields

    def get_children(self, run) -> list[dict]:
        """The child runs its sub-flow, map and agent nodes started, oldest first."""
        children = self.context.get("children")
        if children is None and run.root_run_id is None and run.descendant_count == 0:
            return []  # a top-level run that never started one
        if children is None:
            children = Run.objects.filter(parent_run=run).order_by("created_at", "id").defer("graph", "inputs", "outputs")[:1000]
        return ChildRunSerializer(children, many=True).data

    def get_nodes(self, run) -> list[dict]:
        nodes = self.context.get("nodes")
        if nodes is None:
            nodes = list(run.node_runs.order_by("id"))
        plan = plan_for(run, run.graph).plan if run.graph else None
        statuses = {node.node_id: node.status for node in nodes}
        context = {"plan": plan, "statuses": statuses, "held": self.get_waiting_for_slot(run)}
        return NodeRunSerializer(nodes, many=True, context=context).data


def run_snapshot(run_id: Any) -> tuple[Run, list[NodeRun]] | None:
    """The run and its nodes as of one instant, with the `seq` of that instant."""
    # Inside someone else's transaction the isolation level is theirs to choose.
    nested = connection.in_atomic_block
    with transaction.atomic():
        with store.pipeline():  # the isolation level and both reads: one round trip
            if connection.vendor == "postgresql" and not nested:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            node_query = store.send_load_whole_nodes(run_id)
            run_query = store.PendingRunToShow(run_id)
            nodes = node_query.rows()
            run = run_query.run()
    if run is None:
        return None
    return run, nodes


def render_run(run_id: Any) -> dict[str, Any] | None:
    """The run with every node's state, as GET /api/runs/<id>/ answers it; None if gone."""
    snapshot = run_snapshot(run_id)
    if snapshot is None:
        return None
    run, nodes = snapshot
    return run_detail_json(run, nodes)


# --- The same, without DRF's per-call cost ------------------------------------------------
# Every run request answers with a run detail and every live client's snapshot is one: DRF
# builds a serializer's fields anew on each use (~2.5 ms for a small run). These functions
# produce exactly what RunDetailSerializer does (tests/unit/test_render.py compares them on
# runs of every kind); the serializers stay as the schema's description.


def _when(value: Any) -> str | None:
    if value is None:
        return None
    # As DRF's DateTimeField: in the current time zone, UTC written "Z".
    text = (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _node_json(node: NodeRun, plan: engine.Plan | None, statuses: dict[str, str], held: bool) -> dict[str, Any]:
    return {
        "node_id": node.node_id,
        "type": node.type,
        "status": node.status,
        "attempts": node.attempts,
        "output": node.output,
        "error": node.error,
        "message": node.message,
        "stream": node.stream,
        "usage": node.usage,
        "details": node.details,
        "started_at": _when(node.started_at),
        "finished_at": _when(node.finished_at),
        "duration_ms": node.duration_ms,
        "reason": _reason(node, plan, statuses, held),
        "worker": node.worker,
        "source": node.source,
        "source_run": str(node.source_run_id) if node.source_run_id is not None else None,
    }


def _reason(node: NodeRun, plan: engine.Plan | None, statuses: dict[str, str], held: bool) -> str | None:
    if plan is None or node.node_id not in plan.nodes:
        return None
    if node.status == engine.WAITING:
        return node.message or "waiting"
    reason = engine.pending_reason(plan, node.node_id, statuses)
    if held and reason == "waiting for the run to start":
        return "waiting for the run to start: the team's limit of runs in progress is reached"
    return reason


def run_detail_json(run: Run, nodes: list[NodeRun]) -> dict[str, Any]:
    """RunDetailSerializer(run, context={"nodes": nodes}).data, fast."""
    held = run.status == engine.PENDING and run.held_at is not None
    plan = plan_for(run, run.graph).plan if run.graph else None
    statuses = {node.node_id: node.status for node in nodes}
    if run.root_run_id is None and run.descendant_count == 0:
        children: list[dict] = []
    else:
        children = RunDetailSerializer().get_children(run)
    return {
        "id": str(run.id),
        "flow": run.flow_id,
        "flow_revision": run.flow_revision,
        "version": run.version.number if run.version_id is not None else None,
        "team": run.team_id,
        "status": run.status,
        "trigger": run.trigger,
        "inputs": run.inputs,
        "outputs": run.outputs,
        "error": run.error,
        "usage": run.usage,
        "parent_run": str(run.parent_run_id) if run.parent_run_id is not None else None,
        "parent_node_id": run.parent_node_id,
        "parent_key": run.parent_key,
        "created_by": run.created_by.username if run.created_by_id is not None else None,
        "created_at": _when(run.created_at),
        "started_at": _when(run.started_at),
        "finished_at": _when(run.finished_at),
        "duration_ms": run.duration_ms,
        "waiting_for_slot": held,
        "resumed_from": str(run.resumed_from_id) if run.resumed_from_id is not None else None,
        "replay": list(run.replay or []),
        "graph": run.graph,
        "seq": run.event_seq,
        "nodes": [_node_json(node, plan, statuses, held) for node in nodes],
        "children": children,
    }
