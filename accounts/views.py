from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from orchestrator_site.params import query_int
from orchestrator_site.problems import Conflict

from . import api_keys, credentials, services
from .access import access_for, team_for_new_object
from .models import ApiKey, Credential, Team
from .roles import Capability
from .serializers import (
    AddMemberSerializer,
    ApiKeyCreateSerializer,
    ApiKeySerializer,
    ApiKeyUpdateSerializer,
    ChangeRoleSerializer,
    CredentialSerializer,
    MemberSerializer,
    MeSerializer,
    NewApiKeySerializer,
    TeamDetailSerializer,
    TeamSerializer,
    WebhookSecretSerializer,
)


def get_team(request, pk: int, capability: str | None) -> Team:
    """The team if the caller is in it (else 404) and their role allows (else 403); with
    no capability, being a member is enough."""
    return access_for(request).fetch(Team.objects.all(), pk, capability, what="team")


def _fresh_roles(request) -> dict[int, str]:
    access = access_for(request)
    access.forget_roles()
    return access.roles


class MeView(APIView):
    @extend_schema(responses=MeSerializer, summary="The signed-in user and their teams")
    def get(self, request):
        access = access_for(request)
        teams = Team.objects.filter(id__in=access.team_ids()).order_by("personal_for", "name")
        data = {
            "id": request.user.id,
            "username": request.user.get_username(),
            "teams": TeamSerializer(teams, many=True, context={"roles": access.roles}).data,
        }
        return Response(data)


class TeamListView(generics.ListCreateAPIView):
    serializer_class = TeamSerializer
    pagination_class = None

    def get_queryset(self):
        return Team.objects.filter(id__in=access_for(self.request).team_ids()).order_by("name")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "roles": access_for(self.request).roles}

    @extend_schema(summary="Create a team; you become its owner")
    def post(self, request, *args, **kwargs):
        access = access_for(request)
        if access.key is not None:
            raise PermissionDenied("API keys may not create teams; sign in to the site")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        team = services.do_create_team(request.user, serializer.validated_data["name"])
        body = TeamSerializer(team, context={"roles": _fresh_roles(request)}).data
        return Response(body, status=status.HTTP_201_CREATED)


def get_credential(request, pk: int, capability: str) -> Credential:
    credentials = Credential.objects.select_related("created_by")
    return access_for(request).fetch(credentials, pk, capability, what="credential")


@extend_schema(parameters=[OpenApiParameter("team", int, description="Only this team's credentials")])
class CredentialListView(generics.ListCreateAPIView):
    """Editors list credentials (to pick one in a node); owners create them."""

    serializer_class = CredentialSerializer
    pagination_class = None

    def get_queryset(self):
        rows = access_for(self.request).visible_team_objects(
            Credential.objects.select_related("created_by"), Capability.CREDENTIALS_USE
        )
        team = query_int(self.request, "team")
        if team is not None:
            rows = rows.filter(team_id=team)
        return rows.order_by("team_id", "name")

    def create(self, request, *args, **kwargs):
        body = CredentialSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        team = team_for_new_object(request, data.get("team_id"), Capability.CREDENTIALS_MANAGE)
        credential = credentials.do_create_credential(
            team=team,
            user=request.user,
            name=data["name"],
            provider=data["provider"],
            data=credentials.check_data(data.get("data", {}), partial=False),
        )
        return Response(CredentialSerializer(credential).data, status=status.HTTP_201_CREATED)


class CredentialDetailView(generics.RetrieveUpdateDestroyAPIView):
    serializer_class = CredentialSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_object(self):
        capability = (
            Capability.CREDENTIALS_USE if self.request.method == "GET" else Capability.CREDENTIALS_MANAGE
        )
        return get_credential(self.request, self.kwargs["pk"], capability)

    def update(self, request, *args, **kwargs):
        credential = self.get_object()
        body = CredentialSerializer(credential, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        if "team_id" in changes and changes.pop("team_id") != credential.team_id:
            raise ValidationError({"team": "a credential cannot move to another team"})
        if "data" in changes:
            changes["data"] = credentials.check_data(changes["data"], partial=True)
        credential = credentials.do_update_credential(credential, changes)
        return Response(CredentialSerializer(credential).data)

    def perform_destroy(self, instance: Credential) -> None:
        credentials.do_delete_credential(instance)


class TeamDetailView(APIView):
    @extend_schema(responses=TeamDetailSerializer, summary="A team")
    def get(self, request, pk: int):
        team = get_team(request, pk, None)
        roles = access_for(request).roles
        return Response(TeamDetailSerializer(team, context={"roles": roles}).data)

    @extend_schema(
        request=TeamDetailSerializer,
        responses=TeamDetailSerializer,
        summary="Rename a team or set its cap on runs in progress (owners)",
    )
    def patch(self, request, pk: int):
        team = get_team(request, pk, Capability.TEAM_MANAGE)
        body = TeamDetailSerializer(team, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        team = services.do_update_team(team, body.validated_data)
        roles = access_for(request).roles
        return Response(TeamDetailSerializer(team, context={"roles": roles}).data)

    @extend_schema(responses={204: None}, summary="Delete a team that has no flows (owners)")
    def delete(self, request, pk: int):
        team = get_team(request, pk, Capability.TEAM_MANAGE)
        services.do_delete_team(team)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookSecretView(APIView):
    @extend_schema(
        responses=WebhookSecretSerializer,
        summary="The secret that signs the team's run callbacks (owners)",
    )
    def get(self, request, pk: int):
        team = get_team(request, pk, Capability.TEAM_MANAGE)
        return Response({"webhook_secret": team.webhook_secret})

    @extend_schema(
        request=None,
        responses=WebhookSecretSerializer,
        summary="Replace the webhook secret; callbacks are signed with the new one at once",
    )
    def post(self, request, pk: int):
        team = get_team(request, pk, Capability.TEAM_MANAGE)
        return Response({"webhook_secret": services.do_rotate_webhook_secret(team)})


class MemberListView(APIView):
    @extend_schema(responses=MemberSerializer(many=True), summary="The team's members")
    def get(self, request, pk: int):
        team = get_team(request, pk, Capability.TEAM_READ)
        members = team.memberships.select_related("user", "team").order_by("user__username")
        return Response(MemberSerializer(members, many=True).data)

    @extend_schema(
        request=AddMemberSerializer,
        responses={201: MemberSerializer},
        summary="Add a member with a role (owners)",
    )
    def post(self, request, pk: int):
        team = get_team(request, pk, Capability.TEAM_MANAGE)
        body = AddMemberSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = services.check_user(body.validated_data["username"])
        membership = services.do_add_member(team, user, body.validated_data["role"])
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberDetailView(APIView):
    def _membership(self, team, username: str):
        membership = services.membership_of(team, username)
        if membership is None:
            raise Http404(f"{username} is not a member of this team")
        return membership

    @extend_schema(responses=MemberSerializer, summary="One member")
    def get(self, request, pk: int, username: str):
        team = get_team(request, pk, Capability.TEAM_READ)
        return Response(MemberSerializer(self._membership(team, username)).data)

    @extend_schema(
        request=ChangeRoleSerializer, responses=MemberSerializer, summary="Change a role (owners)"
    )
    def patch(self, request, pk: int, username: str):
        team = get_team(request, pk, Capability.TEAM_MANAGE)
        body = ChangeRoleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        membership = services.do_change_role(
            team, self._membership(team, username), body.validated_data["role"]
        )
        return Response(MemberSerializer(membership).data)

    @extend_schema(
        responses={204: None},
        summary="Remove a member (owners), or leave the team (yourself)",
    )
    def delete(self, request, pk: int, username: str):
        leaving = username == request.user.get_username() and access_for(request).key is None
        team = get_team(request, pk, Capability.TEAM_READ if leaving else Capability.TEAM_MANAGE)
        services.do_remove_member(team, self._membership(team, username))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- API keys -----------------------------------------------------------------------------


def _session_only(request, what: str) -> None:
    if access_for(request).key is not None:
        raise PermissionDenied(f"API keys may not {what}; sign in to the site")


def _owned_team_ids(request) -> list[int]:
    return access_for(request).team_ids(Capability.TEAM_MANAGE)


def get_api_key(request, pk: int) -> ApiKey:
    key = api_keys.visible_api_keys(request.user, _owned_team_ids(request)).filter(pk=pk).first()
    if key is None:
        raise Http404("no such API key")
    return key


@extend_schema(
    parameters=[
        OpenApiParameter("team", int, description="Only keys of this team"),
        OpenApiParameter(
            "revoked", bool, description="Include revoked keys (default: only keys not revoked)"
        ),
    ]
)
class ApiKeyListView(generics.ListAPIView):
    serializer_class = ApiKeySerializer
    pagination_class = None

    def get_queryset(self):
        _session_only(self.request, "list API keys")
        keys = api_keys.visible_api_keys(self.request.user, _owned_team_ids(self.request))
        team = query_int(self.request, "team")
        if team is not None:
            keys = keys.filter(team_id=team)
        if self.request.query_params.get("revoked") not in ("true", "1"):
            keys = keys.filter(revoked_at__isnull=True)
        return keys.select_related("user").prefetch_related("flows").order_by("-created_at", "-id")

    @extend_schema(
        request=ApiKeyCreateSerializer,
        responses={201: NewApiKeySerializer},
        summary="Create a key for yourself in a team; the answer is the only time it is shown",
    )
    def post(self, request):
        _session_only(request, "create API keys")
        body = ApiKeyCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        access = access_for(request)
        team_id = data.get("team") or services.personal_team(request.user).id
        role = access.check_team(team_id, Capability.API_KEYS_CREATE, what="team")
        team = Team.objects.get(pk=team_id)
        key, raw = api_keys.do_issue_api_key(
            user=request.user,
            team=team,
            name=data["name"],
            scopes=api_keys.check_scopes(role, data.get("scopes"), team_name=team.name),
            flows=api_keys.check_flows(team, data.get("flows")),
            expires_at=api_keys.check_expiry(data.get("expires_at")),
        )
        reply = NewApiKeySerializer(key, context={"raw_key": raw}).data
        return Response(reply, status=status.HTTP_201_CREATED)


class ApiKeyDetailView(APIView):
    @extend_schema(responses=ApiKeySerializer, summary="One key (never its secret)")
    def get(self, request, pk: int):
        _session_only(request, "read API keys")
        return Response(ApiKeySerializer(get_api_key(request, pk)).data)

    @extend_schema(
        request=ApiKeyUpdateSerializer,
        responses=ApiKeySerializer,
        summary="Rename a key, or change its scopes, flows or expiry",
    )
    def patch(self, request, pk: int):
        _session_only(request, "change API keys")
        key = get_api_key(request, pk)
        if key.revoked_at is not None:
            raise Conflict("the key is revoked; create a new one")
        body = ApiKeyUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        team_name = key.team.name if key.team_id else "every team"
        if "scopes" in changes:
            # Capped by the role of the key's own user, whoever changes it.
            changes["scopes"] = api_keys.check_scopes(
                api_keys.role_of_key_user(key), changes["scopes"], team_name=team_name
            )
        if "flows" in changes:
            changes["flows"] = api_keys.check_flows(key.team, changes["flows"])
        if "expires_at" in changes:
            changes["expires_at"] = api_keys.check_expiry(changes["expires_at"])
        key = api_keys.do_update_api_key(key, changes)
        return Response(ApiKeySerializer(key).data)

    @extend_schema(responses={204: None}, summary="Revoke a key: it stops working at once")
    def delete(self, request, pk: int):
        _session_only(request, "revoke API keys")
        api_keys.do_revoke_api_key(get_api_key(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
