from django.db.models import Max
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import access_for, team_for_new_object
from accounts.models import Team
from accounts.roles import Capability
from orchestrator_site.params import query_int
from orchestrator_site.problems import NotFound

from . import services
from .graph import check_graph
from .models import Flow, FlowVersion
from .nodes import described_catalog
from .serializers import (
    FlowCopySerializer,
    FlowListSerializer,
    FlowSerializer,
    FlowVersionListSerializer,
    FlowVersionSerializer,
    GraphBodySerializer,
    GraphDiffSerializer,
    NodeTypeSerializer,
    PublishSerializer,
    RestoreSerializer,
    ValidationResultSerializer,
)


def visible_flows(request):
    return access_for(request).visible(Flow.objects.all(), Capability.FLOWS_READ, flow_field="id")


def get_flow(request, pk: int, capability: str) -> Flow:
    flows = Flow.objects.select_related("created_by", "updated_by")
    return access_for(request).fetch(flows, pk, capability, what="flow", flow_field="id")


class NodeTypeListView(APIView):
    @extend_schema(
        responses=NodeTypeSerializer(many=True),
        summary="The node-type catalog: handles and config JSON Schema of each type",
    )
    def get(self, request):
        return Response(described_catalog())


@extend_schema(parameters=[OpenApiParameter("team", int, description="Only this team's flows")])
class FlowListView(generics.ListCreateAPIView):
    def get_serializer_class(self):
        return FlowListSerializer if self.request.method == "GET" else FlowSerializer

    def get_queryset(self):
        flows = (
            visible_flows(self.request)
            .select_related("created_by", "updated_by")
            .annotate(latest_version_number=Max("versions__number"))
        )
        team = query_int(self.request, "team")
        if team is not None:
            flows = flows.filter(team_id=team)
        return flows.order_by("-updated_at", "-id")

    def create(self, request, *args, **kwargs):
        serializer = FlowSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "name" not in data:
            raise ValidationError({"name": "a flow needs a name"})
        team = team_for_new_object(request, data.get("team_id"), Capability.FLOWS_WRITE)
        flow = services.do_create_flow(
            user=request.user,
            team=team,
            name=data["name"],
            description=data.get("description", ""),
            graph=data.get("graph"),
        )
        return Response(FlowSerializer(flow).data, status=status.HTTP_201_CREATED)


class FlowDetailView(generics.RetrieveUpdateDestroyAPIView):
    serializer_class = FlowSerializer

    def get_object(self):
        capability = (
            Capability.FLOWS_READ if self.request.method == "GET" else Capability.FLOWS_WRITE
        )
        return get_flow(self.request, self.kwargs["pk"], capability)

    def update(self, request, *args, **kwargs):
        flow = self.get_object()
        partial = kwargs.get("partial", False)
        serializer = FlowSerializer(flow, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        based_on = data.pop("revision", None)
        new_team = data.pop("team_id", None)
        if new_team is not None and new_team != flow.team_id:
            access_for(request).check_may_create(new_team, Capability.FLOWS_WRITE)
            data["team_id"] = new_team
        if not partial and "graph" not in data:
            raise ValidationError({"graph": "PUT replaces the flow: send its graph"})
        flow = services.do_update_flow(flow, user=request.user, changes=data, based_on_revision=based_on)
        return Response(FlowSerializer(flow).data)


class FlowValidateView(APIView):
    @extend_schema(
        request=GraphBodySerializer,
        responses=ValidationResultSerializer,
        summary="Validate a graph (the one sent, else the saved one) without saving",
    )
    def post(self, request, pk: int):
        flow = get_flow(request, pk, Capability.FLOWS_READ)
        body = request.data if isinstance(request.data, dict) else {}
        graph = body["graph"] if "graph" in body else flow.graph
        errors = services.check_graph_problems(check_graph(graph), team_id=flow.team_id, flow=flow)
        return Response({"valid": not errors, "errors": errors})


class FlowCopyView(APIView):
    @extend_schema(
        request=FlowCopySerializer,
        responses={201: FlowSerializer},
        summary="Copy a flow's draft into one of your teams (or its own)",
    )
    def post(self, request, pk: int):
        # Reading the source is enough: whoever may read a flow may already export it.
        flow = get_flow(request, pk, Capability.FLOWS_READ)
        body = FlowCopySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        team_id = body.validated_data.get("team", flow.team_id)
        access_for(request).check_may_create(team_id, Capability.FLOWS_WRITE)
        copy = services.do_duplicate_flow(
            flow,
            user=request.user,
            team=Team.objects.get(pk=team_id),
            name=body.validated_data.get("name"),
        )
        return Response(FlowSerializer(copy).data, status=status.HTTP_201_CREATED)


def get_version(flow: Flow, number: int) -> FlowVersion:
    version = services.get_version(flow, number)
    if version is None:
        raise NotFound(f"the flow has no version {number}")
    return version


class FlowVersionListView(generics.ListAPIView):
    serializer_class = FlowVersionListSerializer

    def get_queryset(self):
        flow = get_flow(self.request, self.kwargs["pk"], Capability.FLOWS_READ)
        return flow.versions.select_related("created_by").order_by("-number")

    @extend_schema(
        request=PublishSerializer,
        responses={201: FlowVersionSerializer},
        summary="Publish the saved draft as the next numbered version",
    )
    def post(self, request, pk: int):
        flow = get_flow(request, pk, Capability.FLOWS_WRITE)
        body = PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = services.do_publish_version(
            flow,
            user=request.user,
            note=body.validated_data.get("note", ""),
            based_on_revision=body.validated_data.get("revision"),
            keep_pins=body.validated_data["keep_pins"],
        )
        return Response(FlowVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class FlowVersionDetailView(APIView):
    @extend_schema(responses=FlowVersionSerializer, summary="One published version, with its graph")
    def get(self, request, pk: int, number: int):
        flow = get_flow(request, pk, Capability.FLOWS_READ)
        return Response(FlowVersionSerializer(get_version(flow, number)).data)


class FlowVersionRestoreView(APIView):
    @extend_schema(
        request=RestoreSerializer,
        responses=FlowSerializer,
        summary="Make the draft equal to this version (raises the draft's revision)",
    )
    def post(self, request, pk: int, number: int):
        flow = get_flow(request, pk, Capability.FLOWS_WRITE)
        body = RestoreSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        flow = services.do_restore_version(
            flow,
            get_version(flow, number),
            user=request.user,
            based_on_revision=body.validated_data.get("revision"),
        )
        return Response(FlowSerializer(flow).data)


_SIDE = "A version number, or `draft` for the saved draft"


class FlowVersionDiffView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("before", OpenApiTypes.STR, OpenApiParameter.PATH, description=_SIDE,
                             pattern="^([0-9]+|draft)$"),
            OpenApiParameter("after", OpenApiTypes.STR, OpenApiParameter.PATH, description=_SIDE,
                             pattern="^([0-9]+|draft)$"),
        ],
        responses=GraphDiffSerializer,
        summary="Compare two versions (or a version and the draft): nodes and edges added, "
        "removed, changed",
    )
    def get(self, request, pk: int, before: str, after: str):
        flow = get_flow(request, pk, Capability.FLOWS_READ)
        return Response(services.compare(flow, before, after))
