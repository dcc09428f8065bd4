from rest_framework import serializers

from orchestrator_site.fields import StrictCharField

from .models import Credential, Team


class TeamSerializer(serializers.ModelSerializer):
    name = StrictCharField(max_length=100)
    role = serializers.SerializerMethodField()
    personal = serializers.BooleanField(read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "personal", "role", "created_at"]
        read_only_fields = ["personal", "created_at"]

    def get_role(self, team) -> str | None:
        roles = self.context.get("roles", {})
        return roles.get(team.id)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    teams = TeamSerializer(many=True)


class CredentialSerializer(serializers.ModelSerializer):
    """`data` is write-only: answers name the fields set (`fields`), never a value."""

    name = StrictCharField(max_length=100)
    provider = serializers.ChoiceField(choices=["openai", "anthropic"])
    team = serializers.IntegerField(source="team_id", required=False)
    data = serializers.JSONField(
        write_only=True,
        required=False,
        help_text='{"api_key": "...", "base_url": "https://..."}; on PATCH, null removes a field',
    )
    fields = serializers.ListField(child=serializers.CharField(), read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Credential
        fields = [
            "id", "team", "name", "provider", "data", "fields", "created_by", "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "fields", "created_by", "created_at", "updated_at"]
