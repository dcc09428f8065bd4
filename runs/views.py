from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import access_for
from accounts.roles import Capability
from flows.views import get_flow, query_int

from . import engine, services
from .models import Run
from .serializers import (
    ResumeSerializer,
    RunDetailSerializer,
    RunSerializer,
    StartRunSerializer,
)


def visible_runs(request):
    return access_for(request).visible(Run.objects.all(), Capability.RUNS_READ)


def get_run(request, pk, capability: str) -> Run:
    run = Run.objects.select_related("created_by").filter(pk=pk).first()
    if run is None:
        raise Http404("no such run")
    access = access_for(request)
    access.check_team(run.team_id, capability, what="run")
    if not access.key_allows_flow(run.flow_id):
        raise Http404("no such run")
    return run


def run_detail(run: Run) -> dict:
    snapshot = services.run_snapshot(run.pk)
    run, nodes = snapshot
    return RunDetailSerializer(run, context={"nodes": nodes}).data


@extend_schema(
    parameters=[
        OpenApiParameter("flow", int, description="Only runs of this flow"),
        OpenApiParameter("status", str, enum=list(engine.RUN_STATUSES)),
    ]
)
class RunListView(generics.ListAPIView):
    serializer_class = RunSerializer

    def get_queryset(self):
        runs = visible_runs(self.request).select_related("created_by")
        flow = query_int(self.request, "flow")
        if flow is not None:
            runs = runs.filter(flow_id=flow)
        wanted = self.request.query_params.get("status")
        if wanted:
            if wanted not in engine.RUN_STATUSES:
                raise ValidationError({"status": f"must be one of {', '.join(engine.RUN_STATUSES)}"})
            runs = runs.filter(status=wanted)
        return runs.order_by("-created_at")


class FlowRunsView(generics.ListAPIView):
    serializer_class = RunSerializer

    def get_queryset(self):
        flow = get_flow(self.request, self.kwargs["pk"], Capability.RUNS_READ)
        return flow.runs.select_related("created_by").order_by("-created_at")

    @extend_schema(
        request=StartRunSerializer,
        responses={201: RunDetailSerializer},
        parameters=[
            OpenApiParameter(
                "wait",
                float,
                description="Wait up to this many seconds for the run to end (max 300)",
            )
        ],
        summary="Start a run of the flow",
    )
    def post(self, request, pk: int):
        body = StartRunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        wait = services.parse_wait(request.query_params.get("wait"))
        graph = body.validated_data.get("graph")
        capability = Capability.FLOWS_WRITE if graph is not None else Capability.RUNS_START
        flow = get_flow(request, pk, Capability.RUNS_START)
        access_for(request).check_flow(flow, capability)
        run = services.do_start_run(
            flow=flow,
            user=request.user,
            inputs=services.check_inputs(body.validated_data.get("inputs")),
            graph=graph,
            trigger="editor" if graph is not None else "api",
        )
        services.wait_for_run(run.pk, wait)
        response = Response(run_detail(run), status=status.HTTP_201_CREATED)
        response["Location"] = reverse("run-detail", args=[run.pk])
        return response


class RunDetailView(APIView):
    @extend_schema(responses=RunDetailSerializer, summary="A run with every node's state")
    def get(self, request, pk):
        return Response(run_detail(get_run(request, pk, Capability.RUNS_READ)))


class RunCancelView(APIView):
    @extend_schema(request=None, responses=RunSerializer, summary="Cancel a run")
    def post(self, request, pk):
        run = get_run(request, pk, Capability.RUNS_CANCEL)
        run = services.do_cancel_run(run, request.user)
        return Response(RunSerializer(run).data)


class NodeResumeView(APIView):
    @extend_schema(
        request=ResumeSerializer,
        responses={202: None},
        summary="Resume a waiting node (an approval step)",
    )
    def post(self, request, pk, node_id: str):
        run = get_run(request, pk, Capability.RUNS_START)
        payload = request.data if isinstance(request.data, dict) else {}
        body = ResumeSerializer(data=payload)
        body.is_valid(raise_exception=True)
        services.do_resume_node(run, node_id, {**payload, "by": request.user.get_username()})
        return Response({"status": "resuming"}, status=status.HTTP_202_ACCEPTED)
