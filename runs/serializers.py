from rest_framework import serializers

from . import engine
from .models import NodeRun, Run


class StartRunSerializer(serializers.Serializer):
    inputs = serializers.JSONField(required=False, help_text="A JSON object of inputs")
    graph = serializers.JSONField(
        required=False, help_text="Run this draft graph instead of the saved one (editors)"
    )


class ResumeSerializer(serializers.Serializer):
    approved = serializers.BooleanField(required=False)
    comment = serializers.CharField(required=False, allow_blank=True)


class NodeRunSerializer(serializers.ModelSerializer):
    duration_ms = serializers.IntegerField(read_only=True, allow_null=True)
    reason = serializers.SerializerMethodField()

    class Meta:
        model = NodeRun
        fields = [
            "node_id", "type", "status", "attempts", "output", "error", "message", "stream",
            "usage", "details", "started_at", "finished_at", "duration_ms", "reason",
        ]

    def get_reason(self, node) -> str | None:
        plan = self.context.get("plan")
        statuses = self.context.get("statuses")
        if plan is None or node.node_id not in plan.nodes:
            return None
        if node.status == engine.WAITING:
            return node.message or "waiting"
        return engine.pending_reason(plan, node.node_id, statuses)


class RunSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    duration_ms = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Run
        fields = [
            "id", "flow", "flow_revision", "team", "status", "trigger", "inputs", "outputs",
            "error", "usage", "parent_run", "parent_node_id", "parent_key", "created_by",
            "created_at", "started_at", "finished_at", "duration_ms",
        ]
        read_only_fields = fields


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
        from .scheduler import plan_for

        nodes = self.context.get("nodes")
        if nodes is None:
            nodes = list(run.node_runs.order_by("id"))
        plan = plan_for(run, run.graph).plan if run.graph else None
        statuses = {node.node_id: node.status for node in nodes}
        context = {"plan": plan, "statuses": statuses}
        return NodeRunSerializer(nodes, many=True, context=context).data
