"""The evaluations API: a flow's datasets and evaluations. Access via accounts.access only:
viewers read, editors make datasets, runners start evaluations."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import access_for
from accounts.roles import Capability
from flows.models import Flow
from orchestrator_site.problems import Invalid
from runs import recordings
from runs.models import Run
from runs.services import check_version

from . import services
from .datasets import rows_from_file
from .models import Dataset, Evaluation

LIST = {"type": "array", "items": {"type": "object"}}


def get_flow(request, pk: int, capability: str) -> Flow:
    return access_for(request).fetch(Flow.objects.all(), pk, capability, what="flow", flow_field="id")


def get_run(request, pk: Any) -> Run:
    return access_for(request).fetch(Run.objects.all(), pk, Capability.RUNS_READ, what="run", flow_field="flow_id")


def get_evaluation(request, pk: int, capability: str) -> Evaluation:
    evaluations = Evaluation.objects.select_related("dataset", "version")
    return access_for(request).fetch(evaluations, pk, capability, what="evaluation", flow_field="flow_id")


def dataset_json(dataset: Dataset, *, with_rows: bool = False) -> dict[str, Any]:
    shown: dict[str, Any] = {"id": dataset.pk, "flow": dataset.flow_id, "name": dataset.name,
                             "row_count": len(dataset.rows), "created_at": dataset.created_at}
    if with_rows:
        shown["rows"] = dataset.rows
    return shown


def _run_ids(value: Any, field: str) -> list[uuid.UUID]:
    if not isinstance(value, list) or len(value) > services.MAX_RUNS_FROM:
        raise Invalid({field: f"must be a list of at most {services.MAX_RUNS_FROM} run ids"})
    try:
        return [uuid.UUID(str(item)) for item in value]
    except ValueError:
        raise Invalid({field: "must be a list of run ids"}) from None


def _object(data: Any) -> Any:
    if not hasattr(data, "get") or isinstance(data, list):
        raise Invalid("send a JSON object")
    return data


class DatasetListView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(responses={200: LIST}, summary="The flow's datasets")
    def get(self, request, pk: int):
        flow = get_flow(request, pk, Capability.FLOWS_READ)
        return Response([dataset_json(d) for d in Dataset.objects.filter(flow=flow)])

    @extend_schema(
        request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT},
        summary="Make a dataset: {name, rows}, {name, from_runs}, or a multipart .csv/.jsonl file",
    )
    def post(self, request, pk: int):
        flow = get_flow(request, pk, Capability.FLOWS_WRITE)
        data = _object(request.data)
        upload = request.FILES.get("file") if hasattr(request, "FILES") else None
        if upload is not None:
            rows = rows_from_file(upload)
        elif data.get("from_runs") is not None:
            runs = [get_run(request, run_id) for run_id in _run_ids(data.get("from_runs"), "from_runs")]
            rows = services.rows_from_runs(flow, runs)
        else:
            rows = data.get("rows")
        dataset = services.do_create_dataset(flow, request.user, data.get("name"), rows)
        return Response(dataset_json(dataset, with_rows=True), status=status.HTTP_201_CREATED)


class DatasetDetailView(APIView):
    def _dataset(self, request, pk: int, capability: str) -> Dataset:
        return access_for(request).fetch(Dataset.objects.all(), pk, capability, what="dataset", flow_field="flow_id")

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="A dataset with its rows")
    def get(self, request, pk: int):
        return Response(dataset_json(self._dataset(request, pk, Capability.FLOWS_READ), with_rows=True))

    @extend_schema(responses={204: None}, summary="Delete a dataset and its evaluations")
    def delete(self, request, pk: int):
        self._dataset(request, pk, Capability.FLOWS_WRITE).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class EvaluationListView(APIView):
    @extend_schema(responses={200: LIST}, summary="The flow's evaluations (without their rows)")
    def get(self, request, pk: int):
        flow = get_flow(request, pk, Capability.RUNS_READ)
        evaluations = Evaluation.objects.filter(flow=flow).select_related("version")[:100]
        return Response([services.evaluation_json(e, with_rows=False) for e in evaluations])

    @extend_schema(
        request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT},
        summary="Run a dataset through the flow and score each row",
    )
    def post(self, request, pk: int):
        flow = get_flow(request, pk, Capability.RUNS_START)
        access = access_for(request)
        data = _object(request.data)
        dataset_id = data.get("dataset")
        if isinstance(dataset_id, bool) or not isinstance(dataset_id, int) or not 0 < dataset_id < 2**63:
            raise Invalid({"dataset": "must be the id of one of the flow's datasets"})
        dataset = Dataset.objects.filter(pk=dataset_id, flow=flow).first()
        if dataset is None:
            raise Invalid({"dataset": "the flow has no such dataset"})
        choice = data.get("version")
        if isinstance(choice, int) and not isinstance(choice, bool) and choice >= 2**31:
            raise Invalid({"version": "must be a version number or 'draft'"})
        version = check_version(flow, choice, draft_by_default=access.key is None)
        replay = data.get("replay", False)
        if not isinstance(replay, bool):
            raise Invalid({"replay": "must be true or false"})
        replay_ids: list[str] = []
        if replay:
            named = data.get("replay_runs")
            runs = ([get_run(request, run_id) for run_id in _run_ids(named, "replay_runs")]
                    if named is not None else services.default_replay_runs(flow))
            replay_ids = recordings.check_replay(flow, runs)
        scorer_list = services.check_scorers(data.get("scorers"))
        if any(scorer["type"] == "judge" for scorer in scorer_list):
            access.check_flow(flow, Capability.CREDENTIALS_USE)  # a judge asks a model with one
            services.check_judges(flow, scorer_list)
        evaluation = services.do_start_evaluation(
            flow=flow, user=request.user, dataset=dataset, version=version, replay=replay,
            replay_runs=replay_ids, scorer_list=scorer_list,
            max_parallel=services.check_max_parallel(data.get("max_parallel")),
        )
        return Response(services.evaluation_json(evaluation), status=status.HTTP_201_CREATED)


class EvaluationDetailView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="An evaluation: status, rows, totals")
    def get(self, request, pk: int):
        evaluation = get_evaluation(request, pk, Capability.RUNS_READ)
        if evaluation.status == Evaluation.RUNNING:
            services.advance(evaluation.pk)  # catches up on a missed run end
            evaluation.refresh_from_db()
        return Response(services.evaluation_json(evaluation))


class EvaluationCancelView(APIView):
    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT}, summary="Cancel an evaluation")
    def post(self, request, pk: int):
        evaluation = get_evaluation(request, pk, Capability.RUNS_CANCEL)
        services.do_cancel_evaluation(evaluation)
        evaluation.refresh_from_db()
        return Response(services.evaluation_json(evaluation))


class EvaluationCompareView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="Two evaluations of a dataset, row by row")
    def get(self, request, pk: int, other: int):
        first = get_evaluation(request, pk, Capability.RUNS_READ)
        second = get_evaluation(request, other, Capability.RUNS_READ)
        return Response(services.compare(first, second))
