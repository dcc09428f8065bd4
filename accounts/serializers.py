from rest_framework import serializers

from orchestrator_site.fields import IdField, StrictCharField

from .models import ALL_SCOPES, ApiKey, Credential, Membership, Team
from .roles import CAPABILITIES, Role, scopes_allowed


class TeamSerializer(serializers.ModelSerializer):
    name = StrictCharField(max_length=100)
    role = serializers.SerializerMethodField()
    personal = serializers.BooleanField(read_only=True)
    capabilities = serializers.SerializerMethodField(
        help_text="What your role lets you do in this team (accounts/roles.py); the editor "
        "shows and hides actions by it, the server decides"
    )
    key_scopes = serializers.SerializerMethodField(
        help_text="The scopes an API key you make for this team may carry"
    )

    class Meta:
        model = Team
        fields = ["id", "name", "personal", "role", "capabilities", "key_scopes", "created_at"]
        read_only_fields = ["personal", "created_at"]

    def get_role(self, team) -> str | None:
        roles = self.context.get("roles", {})
        return roles.get(team.id)

    def get_capabilities(self, team) -> list[str]:
        return sorted(CAPABILITIES.get(self.get_role(team) or "", ()))

    def get_key_scopes(self, team) -> list[str]:
        role = self.get_role(team)
        return scopes_allowed(role) if role else []


class TeamDetailSerializer(TeamSerializer):
    name = StrictCharField(max_length=100, required=False)
    max_active_runs = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=100_000,
        help_text="Runs of the team's flows in progress at once (0: no limit); further runs "
        "wait in line as pending and start in order when one ends. Runs started by subflow "
        "and map nodes do not count.",
    )
    member_count = serializers.IntegerField(read_only=True, source="memberships.count")

    class Meta(TeamSerializer.Meta):
        fields = [*TeamSerializer.Meta.fields, "max_active_runs", "member_count"]


class WebhookSecretSerializer(serializers.Serializer):
    webhook_secret = serializers.CharField(
        read_only=True,
        help_text="Run callbacks carry X-Baton-Signature: t=<unix time>,v1=<hex HMAC-SHA256 "
        "of '<t>.<raw body>' under this secret>",
    )


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
class MemberSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="user_id", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices)
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)
    personal_owner = serializers.SerializerMethodField(
        help_text="The user whose personal team this is: always an owner of it"
    )

    class Meta:
        model = Membership
        fields = ["id", "username", "role", "joined_at", "personal_owner"]

    def get_personal_owner(self, membership) -> bool:
        return membership.team.personal_for_id == membership.user_id


class AddMemberSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)


class ChangeRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class ApiKeySerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ALL_SCOPES),
        required=False,
        help_text="Default: every scope your role in the team allows",
    )
    flows = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    limited_to_flows = serializers.BooleanField(
        source="flow_limited",
        read_only=True,
        help_text="The key reaches only `flows` (none, once they are all deleted); false: "
        "every flow of its team",
    )
    state = serializers.SerializerMethodField()

    class Meta:
        model = ApiKey
        fields = [
            "id", "name", "prefix", "team", "user", "scopes", "flows", "limited_to_flows", "expires_at",
            "last_used_at", "revoked_at", "created_at", "state",
        ]
        read_only_fields = fields

    def get_state(self, key) -> str:
        if key.revoked_at is not None:
            return "revoked"
        if not key.is_usable:
            return "expired"
        return "active"


class NewApiKeySerializer(ApiKeySerializer):
    key = serializers.SerializerMethodField(help_text="The secret: shown in this answer only")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields

    def get_key(self, key) -> str:
        return self.context["raw_key"]


class ApiKeyCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)
    team = IdField(
        required=False, help_text="The team the key acts in (default: your personal team)"
    )
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ALL_SCOPES),
        required=False,
        help_text="Default: every scope your role in the team allows",
    )
    flows = serializers.ListField(
        child=IdField(),
        required=False,
        help_text="Flow ids the key is limited to (default: all the team's flows)",
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ApiKeyUpdateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100, required=False)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ALL_SCOPES), required=False
    )
    flows = serializers.ListField(
        child=IdField(), required=False, help_text="Flow ids ([]: all the team's flows)"
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
