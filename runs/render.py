"""A run as JSON, the one way: the API's answers, the live snapshot (websocket and SSE),
and callbacks' bodies all come from here.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from rest_framework import serializers

from .core import engine
from .models import NodeRun, Run
from .plans import plan_for


class NodeRunSerializer(serializers.ModelSerializer):
    duration_ms = serializers.IntegerField(read_only=True, allow_null=True)
    reason = serializers.SerializerMethodField()

    class Meta:
        model = NodeRun
        fields = [
            "node_id", "type", "status", "attempts", "output", "error", "message", "stream",
            "usage", "details", "started_at", "finished_at", "duration_ms", "reason", "worker",
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
    waiting_for_slot = serializers.SerializerMethodField(
        help_text="The run waits in line: its team's cap on runs in progress is reached"
    )

    class Meta:
        model = Run
        fields = [
            "id", "flow", "flow_revision", "version", "team", "status", "trigger", "inputs",
            "outputs", "error", "usage", "parent_run", "parent_node_id", "parent_key",
            "created_by", "created_at", "started_at", "finished_at", "duration_ms",
            "waiting_for_slot",
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
        if connection.vendor == "postgresql" and not nested:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        run = Run.objects.select_related("created_by", "version").filter(pk=run_id).first()
        if run is None:
            return None
        nodes = list(NodeRun.objects.filter(run_id=run_id).order_by("id"))
    return run, nodes


def render_run(run_id: Any) -> dict[str, Any] | None:
    """The run with every node's state, as GET /api/runs/<id>/ answers it; None if gone."""
    snapshot = run_snapshot(run_id)
    if snapshot is None:
        return None
    run, nodes = snapshot
    return dict(RunDetailSerializer(run, context={"nodes": nodes}).data)
