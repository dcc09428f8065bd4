from rest_framework import serializers

from orchestrator_site.fields import StrictCharField

from .models import Flow


class FlowListSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    node_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Flow
        fields = [
            "id", "team", "name", "description", "revision", "node_count",
            "created_by", "updated_by", "created_at", "updated_at",
        ]
        read_only_fields = fields


class FlowSerializer(serializers.ModelSerializer):
    name = StrictCharField(max_length=200)
    description = StrictCharField(required=False, allow_blank=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    team = serializers.IntegerField(source="team_id", required=False)
    graph = serializers.JSONField(required=False)
    revision = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="On update: the revision your change is based on; an older one answers 409.",
    )

    class Meta:
        model = Flow
        fields = [
            "id", "team", "name", "description", "graph", "revision",
            "created_by", "updated_by", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "created_by", "updated_by", "created_at", "updated_at"]


class GraphBodySerializer(serializers.Serializer):
    graph = serializers.JSONField(required=False)


class GraphErrorSerializer(serializers.Serializer):
    node_id = serializers.CharField(required=False)
    edge_id = serializers.CharField(required=False)
    message = serializers.CharField()


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
    inputs = HandleSerializer(many=True)
    outputs = HandleSerializer(many=True)
    dynamic_outputs = serializers.JSONField(allow_null=True)
    config_schema = serializers.JSONField()
    config_defaults = serializers.JSONField()
    settings_schema = serializers.JSONField()
