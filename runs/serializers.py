from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import engine
from .models import NodeRun, Run


@extend_schema_field(
    {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "enum": ["draft"]}]}
)
class VersionChoiceField(serializers.Field):
    """A published version's number, or "draft"."""

    default_error_messages = {"invalid": "must be a version number or 'draft'"}

    def to_internal_value(self, data):
        if data == "draft":
            return data
        if isinstance(data, bool) or not isinstance(data, int) or not 1 <= data <= 2**31 - 1:
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class StartRunSerializer(serializers.Serializer):
    inputs = serializers.JSONField(required=False, help_text="A JSON object of inputs")
    graph = serializers.JSONField(
        required=False, help_text="Run this draft graph instead of the saved one (editors)"
    )
    version = VersionChoiceField(
        required=False,
        help_text="The published version to run, or 'draft' for the saved draft. Default: "
        "with an API key the latest published version (the draft while none is published); "
        "in the editor (a signed-in session) the draft",
    )
    callback_url = serializers.CharField(
        required=False,
        max_length=2000,
        help_text="When the run ends, Baton POSTs the run here, signed with X-Baton-Signature",
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
        from .scheduler import plan_for

        nodes = self.context.get("nodes")
        if nodes is None:
            nodes = list(run.node_runs.order_by("id"))
        plan = plan_for(run, run.graph).plan if run.graph else None
        statuses = {node.node_id: node.status for node in nodes}
        context = {"plan": plan, "statuses": statuses, "held": self.get_waiting_for_slot(run)}
        return NodeRunSerializer(nodes, many=True, context=context).data
