from rest_framework import serializers

from orchestrator_site.fields import StrictCharField

from .models import Team


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
