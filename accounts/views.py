from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from .access import access_for
from .models import Team
from .serializers import MeSerializer, TeamSerializer
from .services import do_create_team


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
