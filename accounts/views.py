from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from . import credentials
from .access import access_for
from .models import Credential, Team
from .roles import Capability
from .serializers import CredentialSerializer, MeSerializer, TeamSerializer
from .services import do_create_team, personal_team


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

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        team = do_create_team(request.user, serializer.validated_data["name"])
        access = access_for(request)
        access._roles = None  # the new membership
        body = TeamSerializer(team, context={"roles": access.roles}).data
        return Response(body, status=status.HTTP_201_CREATED)


def team_for_new_object(request, team_id: int | None, capability: str) -> Team:
    """The team named, else the API key's team, else the caller's personal team; checked."""
    access = access_for(request)
    if team_id is None:
        if access.key is not None and access.key.team_id is not None:
            team_id = access.key.team_id
        else:
            team_id = personal_team(request.user).id
    access.check_team(team_id, capability, what="team")
    return Team.objects.get(pk=team_id)


def get_credential(request, pk: int, capability: str) -> Credential:
    credential = Credential.objects.select_related("created_by").filter(pk=pk).first()
    if credential is None:
        raise Http404("no such credential")
    access_for(request).check_team(credential.team_id, capability, what="credential")
    return credential


@extend_schema(parameters=[OpenApiParameter("team", int, description="Only this team's credentials")])
class CredentialListView(generics.ListCreateAPIView):
    """Editors list credentials (to pick one in a node); owners create them."""

    serializer_class = CredentialSerializer
    pagination_class = None

    def get_queryset(self):
        from flows.views import query_int

        teams = access_for(self.request).team_ids(Capability.CREDENTIALS_USE)
        rows = Credential.objects.filter(team_id__in=teams).select_related("created_by")
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
