import uuid

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import access_for
from accounts.models import Team
from accounts.roles import Capability
from flows.models import Flow
from orchestrator_site.params import query_bool, query_int

from .. import callbacks, recordings, services
from ..core import engine
from ..models import Run
from ..render import RunDetailSerializer, RunSerializer, render_run
from .serializers import ResumeSerializer, StartRunSerializer


def visible_runs(request):
    return access_for(request).visible(Run.objects.select_related("version"), Capability.RUNS_READ)


def get_run(request, pk, capability: str) -> Run:
    runs = Run.objects.select_related("created_by", "version")
    return access_for(request).fetch(runs, pk, capability, what="run", flow_field="flow_id")


def get_flow(request, pk: int, capability: str) -> Flow:
    # With its team: a run's start needs the team's cap on runs in progress.
    flows = Flow.objects.select_related("team")
    return access_for(request).fetch(flows, pk, capability, what="flow", flow_field="id")


def run_detail(run: Run) -> dict:
    return render_run(run.pk) or {}


@extend_schema(
    parameters=[
        OpenApiParameter("flow", int, description="Only runs of this flow"),
        OpenApiParameter("status", str, enum=list(engine.RUN_STATUSES)),
        OpenApiParameter("parent", OpenApiTypes.UUID, description="Only the child runs of this run (a run id)"),
        OpenApiParameter(
            "top_level", bool, description="true: leave out child runs of subflow, map and agent nodes"
        ),
        OpenApiParameter(
            "trigger", str,
            description="Only runs started this way (api, editor, resume, recording: the "
            "recorded runs shipped with the example flows, to replay)",
        ),
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
        parent = self.request.query_params.get("parent")
        if parent:
            try:
                runs = runs.filter(parent_run_id=uuid.UUID(parent))
            except ValueError:
                raise ValidationError({"parent": f"must be a run id, not {parent!r}"}) from None
        if query_bool(self.request, "top_level"):
            runs = runs.filter(parent_run__isnull=True)
        trigger = self.request.query_params.get("trigger")
        if trigger:
            runs = runs.filter(trigger=trigger)
        return runs.order_by("-created_at")


class FlowRunsView(generics.ListAPIView):
    serializer_class = RunSerializer

    def get_queryset(self):
        flow = get_flow(self.request, self.kwargs["pk"], Capability.RUNS_READ)
        return flow.runs.select_related("created_by", "version").order_by("-created_at")

    @extend_schema(
        request=StartRunSerializer,
        responses={
            201: RunDetailSerializer,
            200: OpenApiResponse(
                RunDetailSerializer,
                description="The run an earlier request with the same Idempotency-Key started",
            ),
        },
        parameters=[
            OpenApiParameter(
                "wait",
                float,
                description="Wait up to this many seconds for the run to end (max 300)",
            ),
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Send a request again safely: the same key with the same body "
                "answers with the run the first one started (200); with another body, 422",
            ),
        ],
        summary="Start a run of the flow",
    )
    def post(self, request, pk: int):
        body = StartRunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        wait = services.parse_wait(request.query_params.get("wait"))
        idempotency_key = services.check_idempotency_key(request.headers.get("Idempotency-Key"))
        graph = data.get("graph")
        capability = Capability.FLOWS_WRITE if graph is not None else Capability.RUNS_START
        flow = get_flow(request, pk, Capability.RUNS_START)
        access = access_for(request)
        access.check_flow(flow, capability)
        from_editor = access.key is None
        version = services.check_version(
            flow, data.get("version"), graph=graph, draft_by_default=from_editor
        )
        callback_url = callbacks.check_callback_url(data.get("callback_url"))
        inputs = services.check_inputs(data.get("inputs"))
        earlier = data.get("reuse_run")
        if earlier is not None:
            earlier = get_run(request, earlier, Capability.RUNS_READ)
        elif data.get("from_node") is not None:
            access.check_flow(flow, Capability.RUNS_READ)  # the default: its latest run
        reuse = services.check_reuse(flow, earlier, data.get("from_node"), data["only_node"])
        replay = recordings.check_replay(
            flow, [get_run(request, run_id, Capability.RUNS_READ) for run_id in data.get("replay", [])]
        )
        run, replayed = services.start_once(
            team_id=flow.team_id,
            key=idempotency_key,
            digest=services.request_hash(flow=flow.pk, body=request.data),
            start=lambda idempotency: services.do_start_run(
                flow=flow,
                user=request.user,
                inputs=inputs,
                graph=graph,
                version=version,
                trigger="editor" if graph is not None or from_editor else "api",
                callback_url=callback_url,
                idempotency=idempotency,
                team_cap=flow.team.max_active_runs,  # read with the flow just now
                reuse=reuse,
                replay=replay,
            ),
        )
        services.wait_for_run(run, wait)
        code = status.HTTP_200_OK if replayed else status.HTTP_201_CREATED
        response = Response(run_detail(run), status=code)
        response["Location"] = reverse("run-detail", args=[run.pk])
        if replayed:
            response["Idempotent-Replayed"] = "true"
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


class RunResumeView(APIView):
    @extend_schema(
        request=None,
        responses={201: RunDetailSerializer},
        summary="Start a run that resumes a failed or cancelled one",
        description="A new run of the same graph, version and inputs: the nodes that "
        "succeeded in this run are reused (`source: reused`), the others executed. 409 while "
        "the run is still going; 400 for a run that succeeded.",
    )
    def post(self, request, pk):
        run = get_run(request, pk, Capability.RUNS_START)
        resumed = services.do_resume_run(run, request.user)
        response = Response(run_detail(resumed), status=status.HTTP_201_CREATED)
        response["Location"] = reverse("run-detail", args=[resumed.pk])
        return response


class TeamCacheView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("flow", int, description="Only this flow's cached outputs")],
        request=None,
        responses={204: None},
        summary="Clear the team's node output cache (owners, signed in)",
        description="Deletes the outputs kept by nodes whose `settings.cache` is on, so their "
        "next runs execute them again. 403 for other roles and for API keys.",
    )
    def delete(self, request, pk: int):
        team = access_for(request).fetch(Team.objects.all(), pk, Capability.CACHE_CLEAR, what="team")
        services.do_clear_cache(team, query_int(request, "flow"))
        return Response(status=status.HTTP_204_NO_CONTENT)


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
