from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orchestrator_site.fields import IdField, StrictCharField

from .models import Flow, FlowVersion


class LatestVersionMixin(serializers.Serializer):
    latest_version = serializers.SerializerMethodField(
        help_text="The number of the latest published version (null: none yet); API and "
        "webhook runs run it"
    )

    def get_latest_version(self, flow) -> int | None:
        if hasattr(flow, "latest_version_number"):
            return flow.latest_version_number
        return flow.versions.order_by("-number").values_list("number", flat=True).first()


class FlowListSerializer(LatestVersionMixin, serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    node_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Flow
        fields = [
            "id", "team", "name", "description", "revision", "node_count", "latest_version",
            "created_by", "updated_by", "created_at", "updated_at",
        ]
        read_only_fields = fields


class GraphErrorSerializer(serializers.Serializer):
    node_id = serializers.CharField(required=False)
    edge_id = serializers.CharField(required=False)
    message = serializers.CharField()


class FlowSerializer(LatestVersionMixin, serializers.ModelSerializer):
    name = StrictCharField(max_length=200)
    description = StrictCharField(required=False, allow_blank=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    team = IdField(source="team_id", required=False)
    graph = serializers.JSONField(required=False)
    revision = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="On update: the revision your change is based on; an older one answers 409.",
    )
    problems = serializers.SerializerMethodField(
        help_text="What keeps the saved draft from running or being published, each on the "
        "node or edge it concerns (empty: none). A draft with problems is saved."
    )

    class Meta:
        model = Flow
        fields = [
            "id", "team", "name", "description", "graph", "revision", "latest_version",
            "problems", "created_by", "updated_by", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "created_by", "updated_by", "created_at", "updated_at"]


    @extend_schema_field(GraphErrorSerializer(many=True))
    def get_problems(self, flow) -> list:
        from .services import flow_problems

        # A save has just found them (services set `problems`); otherwise look now.
        known = getattr(flow, "problems", None)
        return known if known is not None else flow_problems(flow)


class FlowCopySerializer(serializers.Serializer):
    team = IdField(required=False, help_text="The team to copy into (default: the flow's own team)")
    name = StrictCharField(max_length=200, required=False)


class FlowVersionListSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    node_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = FlowVersion
        fields = ["number", "note", "flow_revision", "node_count", "created_by", "created_at"]
        read_only_fields = fields


class FlowVersionSerializer(FlowVersionListSerializer):
    class Meta(FlowVersionListSerializer.Meta):
        fields = ["flow", *FlowVersionListSerializer.Meta.fields, "graph"]
        read_only_fields = fields


class PublishSerializer(serializers.Serializer):
    note = StrictCharField(required=False, allow_blank=True, max_length=5000)
    revision = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The draft revision you mean to publish; another one answers 409",
    )
    keep_pins = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Keep the nodes' pinned outputs (data.pinned) in the version; by default "
        "they are left out, so the version executes every node",
    )


class RestoreSerializer(serializers.Serializer):
    revision = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The draft revision your restore is based on; an older one answers 409",
    )


class DiffSideSerializer(serializers.Serializer):
    version = serializers.IntegerField(allow_null=True, help_text="null: the draft")
    revision = serializers.IntegerField()
    label = serializers.CharField()


class ChangeSerializer(serializers.Serializer):
    id = serializers.CharField()
    fields = serializers.ListField(
        child=serializers.CharField(), help_text="e.g. type, data.config, data.label, position"
    )
    before = serializers.JSONField()
    after = serializers.JSONField()


class NodesDiffSerializer(serializers.Serializer):
    added = serializers.ListField(child=serializers.JSONField())
    removed = serializers.ListField(child=serializers.JSONField())
    changed = ChangeSerializer(many=True)
    moved = serializers.ListField(
        child=serializers.CharField(), help_text="Ids of nodes whose only change is position"
    )
    unchanged = serializers.IntegerField()


class EdgesDiffSerializer(serializers.Serializer):
    added = serializers.ListField(child=serializers.JSONField())
    removed = serializers.ListField(child=serializers.JSONField())
    changed = ChangeSerializer(many=True)
    unchanged = serializers.IntegerField()


class GraphDiffSerializer(serializers.Serializer):
    # "from" is a Python keyword: declared below.
    to = DiffSideSerializer()
    nodes = NodesDiffSerializer()
    edges = EdgesDiffSerializer()
    identical = serializers.BooleanField()

    def get_fields(self):
        fields = super().get_fields()
        return {"from": DiffSideSerializer(), **fields}


class GraphBodySerializer(serializers.Serializer):
    graph = serializers.JSONField(required=False)


class ValidationResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    errors = GraphErrorSerializer(many=True)


class HandleSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    many = serializers.BooleanField()
    required = serializers.BooleanField()


class NodeTypeSerializer(serializers.Serializer):
    """One entry of the catalog (documentation only: the catalog is served as it is)."""

    type = serializers.CharField()
    version = serializers.IntegerField()
    label = serializers.CharField()
    category = serializers.CharField()
    description = serializers.CharField()
    execution = serializers.ChoiceField(choices=["inline", "queued"])
    executable = serializers.BooleanField()
    cacheable = serializers.BooleanField(
        help_text="Whether its settings may turn on the node output cache (settings.cache)"
    )
    inputs = HandleSerializer(many=True)
    outputs = HandleSerializer(many=True)
    dynamic_outputs = serializers.JSONField(allow_null=True)
    config_schema = serializers.JSONField()
    config_defaults = serializers.JSONField()
    settings_schema = serializers.JSONField()
