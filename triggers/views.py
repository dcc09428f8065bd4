from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import access_for
from accounts.roles import Capability
from flows.models import Flow
from flows.services import parse_version_ref
from runs import services as run_services

from . import services
from .models import Schedule, TriggerToken
from .serializers import (
    HookRunSerializer,
    NewTriggerSerializer,
    ScheduleSerializer,
    TriggerCreateSerializer,
    TriggerSerializer,
)
from .throttling import TriggerRateThrottle, verified_token


def get_flow(request, pk: int, capability: str) -> Flow:
    return access_for(request).fetch(Flow.objects.all(), pk, capability, what="flow", flow_field="id")


def get_trigger(request, pk: int, trigger_id: int, capability: str) -> TriggerToken:
    flow = get_flow(request, pk, capability)
    token = (
        TriggerToken.objects.filter(flow=flow, pk=trigger_id).select_related("created_by").first()
    )
    if token is None:
        raise Http404("no such trigger")
    return token


def get_schedule(request, pk: int, schedule_id: int, capability: str) -> Schedule:
    flow = get_flow(request, pk, capability)
    schedule = Schedule.objects.filter(flow=flow, pk=schedule_id).select_related("flow").first()
    if schedule is None:
        raise Http404("no such schedule")
    return schedule


class TriggerListView(APIView):
    @extend_schema(responses=TriggerSerializer(many=True), summary="The flow's trigger URLs")
    def get(self, request, pk: int):
        flow = get_flow(request, pk, Capability.FLOWS_READ)
        tokens = flow.trigger_tokens.select_related("created_by").order_by("-created_at", "-id")
        return Response(TriggerSerializer(tokens, many=True).data)

    @extend_schema(
        request=TriggerCreateSerializer,
        responses={201: NewTriggerSerializer},
        summary="Make a secret trigger URL; the answer is the only time it is shown",
    )
    def post(self, request, pk: int):
        flow = get_flow(request, pk, Capability.FLOWS_WRITE)
        body = TriggerCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        token, raw = services.do_create_trigger(
            flow,
            user=request.user,
            name=body.validated_data["name"],
            version=body.validated_data.get("version"),
        )
        context = {"raw_token": raw, "url": request.build_absolute_uri(f"/hooks/{raw}/")}
        return Response(
            NewTriggerSerializer(token, context=context).data, status=status.HTTP_201_CREATED
        )


class TriggerDetailView(APIView):
    @extend_schema(responses=TriggerSerializer, summary="One trigger URL (never its secret)")
    def get(self, request, pk: int, trigger_id: int):
        return Response(
            TriggerSerializer(get_trigger(request, pk, trigger_id, Capability.FLOWS_READ)).data
        )

    @extend_schema(
        responses={204: None}, summary="Revoke a trigger URL: it answers 404 from now on"
    )
    def delete(self, request, pk: int, trigger_id: int):
        services.do_revoke_trigger(get_trigger(request, pk, trigger_id, Capability.FLOWS_WRITE))
        return Response(status=status.HTTP_204_NO_CONTENT)


class HookView(APIView):
    """`POST /hooks/<token>/`: the token is the only credential."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [TriggerRateThrottle]

    @extend_schema(
        request={"application/json": {"type": "object", "additionalProperties": True}},
        parameters=[
            OpenApiParameter(
                "version",
                str,
                description="Run this published version, or 'draft' (default: the trigger's "
                "version, else the latest published, else the draft)",
                pattern="^([0-9]{1,9}|draft)$",
            ),
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="The same key with the same body starts one run only",
            ),
        ],
        responses={
            201: HookRunSerializer,
            200: OpenApiResponse(HookRunSerializer, description="Replayed (same Idempotency-Key)"),
        },
        auth=[],
        summary="Start a run with the JSON body as its inputs (trigger URL)",
    )
    def post(self, request, token: str):
        trigger = verified_token(request, token)
        if trigger is None:
            raise Http404("no such trigger")
        inputs = request.data if request.body else {}
        if not isinstance(inputs, dict):
            raise ValidationError({"inputs": "the body must be a JSON object (the run's inputs)"})
        idempotency_key = run_services.check_idempotency_key(request.headers.get("Idempotency-Key"))
        choice = request.query_params.get("version")
        version_choice = trigger.version
        if choice not in (None, ""):
            version_choice = parse_version_ref(choice) or "draft"
        run, replayed = services.do_fire_trigger(
            trigger,
            inputs=dict(inputs),
            version_choice=version_choice,
            idempotency_key=idempotency_key,
        )
        body = {
            "id": run.pk,
            "flow": run.flow_id,
            "version": run.version.number if run.version_id else None,
            "status": run.status,
            "created_at": run.created_at,
        }
        code = status.HTTP_200_OK if replayed else status.HTTP_201_CREATED
        return Response(HookRunSerializer(body).data, status=code)


class ScheduleListView(APIView):
    @extend_schema(responses=ScheduleSerializer(many=True), summary="The flow's schedules")
    def get(self, request, pk: int):
        flow = get_flow(request, pk, Capability.FLOWS_READ)
        schedules = flow.schedules.select_related("created_by").order_by("id")
        return Response(ScheduleSerializer(schedules, many=True).data)

    @extend_schema(
        request=ScheduleSerializer,
        responses={201: ScheduleSerializer},
        summary="Run the flow on a cron schedule in a time zone",
    )
    def post(self, request, pk: int):
        flow = get_flow(request, pk, Capability.FLOWS_WRITE)
        body = ScheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        schedule = services.do_create_schedule(flow, user=request.user, data=body.validated_data)
        return Response(ScheduleSerializer(schedule).data, status=status.HTTP_201_CREATED)


class ScheduleDetailView(APIView):
    @extend_schema(responses=ScheduleSerializer, summary="One schedule")
    def get(self, request, pk: int, schedule_id: int):
        return Response(
            ScheduleSerializer(get_schedule(request, pk, schedule_id, Capability.FLOWS_READ)).data
        )

    @extend_schema(
        request=ScheduleSerializer, responses=ScheduleSerializer, summary="Change a schedule"
    )
    def patch(self, request, pk: int, schedule_id: int):
        schedule = get_schedule(request, pk, schedule_id, Capability.FLOWS_WRITE)
        body = ScheduleSerializer(schedule, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        schedule = services.do_update_schedule(schedule, dict(body.validated_data))
        return Response(ScheduleSerializer(schedule).data)

    @extend_schema(responses={204: None}, summary="Delete a schedule")
    def delete(self, request, pk: int, schedule_id: int):
        get_schedule(request, pk, schedule_id, Capability.FLOWS_WRITE).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
