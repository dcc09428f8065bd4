from rest_framework import serializers

from orchestrator_site.fields import StrictCharField

from .models import Schedule, TriggerToken


class TriggerSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    state = serializers.SerializerMethodField()

    class Meta:
        model = TriggerToken
        fields = [
            "id", "flow", "name", "prefix", "version", "created_by", "created_at",
            "last_used_at", "revoked_at", "state",
        ]
        read_only_fields = fields

    def get_state(self, token) -> str:
        return "revoked" if token.revoked else "active"


class NewTriggerSerializer(TriggerSerializer):
    token = serializers.SerializerMethodField(help_text="The secret: shown in this answer only")
    url = serializers.SerializerMethodField(
        help_text="POST a JSON object here to start a run with it as inputs (shown once)"
    )

    class Meta(TriggerSerializer.Meta):
        fields = [*TriggerSerializer.Meta.fields, "token", "url"]
        read_only_fields = fields

    def get_token(self, token) -> str:
        return self.context["raw_token"]

    def get_url(self, token) -> str:
        return self.context["url"]


class TriggerCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**31 - 1,
        help_text="Run this published version (default: the latest published, else the draft)",
    )


class HookRunSerializer(serializers.Serializer):
    """What the caller of a trigger URL learns: that its run started, not its results."""

    id = serializers.UUIDField()
    flow = serializers.IntegerField()
    version = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class ScheduleSerializer(serializers.ModelSerializer):
    name = StrictCharField(max_length=100, required=False, allow_blank=True)
    cron = StrictCharField(
        max_length=200,
        help_text="5 fields (minute hour day-of-month month day-of-week) or @hourly, @daily, "
        "@weekly, @monthly, @yearly",
    )
    timezone = StrictCharField(
        max_length=64, required=False, help_text="An IANA time zone name (default UTC)"
    )
    inputs = serializers.JSONField(required=False, help_text="A JSON object of inputs")
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**31 - 1,
        help_text="Run this published version (default: the latest published, else the draft)",
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    last_run = serializers.UUIDField(source="last_run_id", read_only=True, allow_null=True)

    class Meta:
        model = Schedule
        fields = [
            "id", "flow", "name", "cron", "timezone", "inputs", "version", "enabled",
            "next_fire_at", "last_fired_at", "last_run", "last_error", "created_by",
            "created_at", "updated_at",
        ]
        read_only_fields = [
            "id", "flow", "next_fire_at", "last_fired_at", "last_run", "last_error",
            "created_by", "created_at", "updated_at",
        ]
