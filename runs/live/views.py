"""The SSE endpoint (`GET /api/runs/<id>/events/`): the same live path as the websocket,
over HTTP (runs.live.sse)."""

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, status
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import access_for
from accounts.roles import Capability

from ..core import engine
from ..models import Run
from .sse import RunEventStream


def get_run(request, pk, capability: str) -> Run:
    runs = Run.objects.select_related("created_by", "version")
    return access_for(request).fetch(runs, pk, capability, what="run", flow_field="flow_id")


# One Server-Sent Event of the stream (each is validated alone): `data` is the event JSON.
SSE_EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "event": {
            "type": "string",
            "enum": ["run.snapshot", "run.status", "node.status", "node.delta", "node.output"],
        },
        "id": {"type": "string", "pattern": "^[0-9]+$", "description": "The event's seq"},
        "retry": {"type": "integer"},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {
                "type": "object",
                "properties": {"type": {"type": "string"}, "seq": {"type": "integer"}},
                "required": ["type", "seq"],
            },
        },
    },
    "required": ["event", "id", "data"],
}


class AnswerInJson(BaseContentNegotiation):
    """The events view streams `text/event-stream` itself; everything else it answers
    (errors, 204) is JSON, whatever the client's Accept header asks for."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def parse_last_event_id(request) -> int | None:
    value = request.headers.get("Last-Event-ID") or request.query_params.get("last_event_id")
    if value in (None, ""):
        return None
    try:
        seq = int(value)
    except ValueError:
        raise ValidationError(
            {"Last-Event-ID": f"must be the id (seq) of an event, not {value!r}"}
        ) from None
    if not 0 <= seq <= 2**62:
        raise ValidationError({"Last-Event-ID": "must be the id (seq) of an event"})
    return seq


class RunEventsView(APIView):
    renderer_classes = [renderers.JSONRenderer]
    content_negotiation_class = AnswerInJson

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "Last-Event-ID",
                int,
                OpenApiParameter.HEADER,
                description="Resume after this event (browsers send it when they reconnect)",
            ),
            OpenApiParameter(
                "last_event_id", int, description="The same, for clients that cannot set headers"
            ),
        ],
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                SSE_EVENT_SCHEMA,
                description="`id: <seq>`, `event: <type>`, `data: <event JSON>` per event; "
                "a `run.snapshot` first unless resuming from the current seq; ends after "
                "the run has ended",
            ),
            204: OpenApiResponse(description="The run has ended and you have seen its last event"),
        },
        summary="The run's events as Server-Sent Events, resumable with Last-Event-ID",
    )
    def get(self, request, pk):
        run = get_run(request, pk, Capability.RUNS_READ)
        last_event_id = parse_last_event_id(request)
        if (
            run.status not in engine.ACTIVE_RUN_STATUSES
            and last_event_id is not None
            and last_event_id >= run.event_seq
        ):
            return Response(status=status.HTTP_204_NO_CONTENT)
        key = access_for(request).key
        stream = RunEventStream(str(run.pk), last_event_id, request.user.pk, key.pk if key else None)
        response = StreamingHttpResponse(stream, content_type="text/event-stream; charset=utf-8")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # proxies (nginx) must pass events at once
        return response
