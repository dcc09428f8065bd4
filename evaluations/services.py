"""Evaluations: a dataset's rows run through the flow, each run scored when it ends.

`do_start_evaluation` makes one row per dataset row and starts the first `max_parallel`
runs (trigger "evaluation"); `advance` scores the rows whose runs ended and starts more,
keeping at most `max_parallel` in flight. It runs when a row's run ends (runs.effects'
`run_finished`, in whichever process ended it) and whenever someone reads the evaluation,
so a missed notice only delays it. The evaluation row is locked while advancing: two
processes never start the same row twice.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.access import Access
from accounts.roles import Capability, role_allows
from orchestrator_site.problems import Invalid, Problem
from runs.core import engine
from runs.models import Run

from . import scorers
from .datasets import check_name, check_rows, expected_of
from .models import Dataset, Evaluation, EvaluationRow

log = logging.getLogger(__name__)

TRIGGER = "evaluation"
JUDGE_TRIGGER = "judge"
MAX_PARALLEL = 4
MAX_RUNS_FROM = 1000


# --- datasets --------------------------------------------------------------------------------
def do_create_dataset(flow, user, name: Any, rows: list[dict[str, Any]]) -> Dataset:
    dataset: Dataset = Dataset.objects.create(
        team_id=flow.team_id, flow=flow, name=check_name(name), rows=check_rows(rows), created_by=user
    )
    return dataset


def rows_from_runs(flow, runs: list[Run]) -> list[dict[str, Any]]:
    """Rows of past runs of the flow the caller may read: their inputs, their outputs as
    what is expected."""
    if len(runs) > MAX_RUNS_FROM:
        raise Invalid({"from_runs": f"at most {MAX_RUNS_FROM} runs"})
    rows = []
    for run in runs:
        if run.flow_id != flow.pk:
            raise Invalid({"from_runs": f"run {run.pk} is a run of another flow"})
        if run.status != engine.SUCCEEDED:
            raise Invalid({"from_runs": f"run {run.pk} is {run.status}: only succeeded runs have outputs to expect"})
        rows.append({"inputs": run.inputs or {}, "expected": expected_of(run.outputs or {})})
    return rows


# --- evaluations -----------------------------------------------------------------------------
def check_scorers(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise Invalid({"scorers": "must be a list of one or more scorers"})
    if len(value) > scorers.MAX_SCORERS:
        raise Invalid({"scorers": f"at most {scorers.MAX_SCORERS} scorers"})
    for index, scorer in enumerate(value):
        problem = scorers.check_scorer(scorer)
        if problem:
            raise Invalid({"scorers": f"scorer {index + 1}: {problem}"})
    return list(value)


def check_judges(flow, scorer_list: list[dict[str, Any]]) -> None:
    """A judge's credential must be one of the flow's team (the caller was checked for
    credentials.use)."""
    from accounts.access import ids_outside_team
    from accounts.models import Credential

    wanted = [scorer["credential"] for scorer in scorer_list if scorer["type"] == "judge"]
    outside = ids_outside_team(Credential.objects.all(), flow.team_id, wanted)
    if outside:
        raise Invalid({"scorers": f"the flow's team has no credential {min(outside)}"})


def check_max_parallel(value: Any) -> int:
    if value is None:
        return MAX_PARALLEL
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PARALLEL:
        raise Invalid({"max_parallel": f"must be a number from 1 to {MAX_PARALLEL}"})
    return value


def default_replay_runs(flow) -> list[Run]:
    """What a replay evaluation answers from unless told: the flow's recorded runs (the
    shipped recordings first), then its latest succeeded runs."""
    limit = settings.BATON_REPLAY_MAX_RUNS
    runs = Run.objects.filter(flow=flow, parent_run__isnull=True, status=engine.SUCCEEDED)
    recorded = list(runs.filter(trigger="recording").order_by("-created_at")[:limit])
    latest = list(runs.exclude(trigger="recording").order_by("-created_at")[: limit - len(recorded)])
    return recorded + latest


def do_start_evaluation(
    *, flow, user, dataset: Dataset, version, replay: bool, replay_runs: list[str],
    scorer_list: list[dict[str, Any]], max_parallel: int,
) -> Evaluation:
    if dataset.flow_id != flow.pk:
        raise Invalid({"dataset": "that dataset is another flow's"})
    if replay and not replay_runs:
        raise Invalid({"replay": "the flow has no recorded or succeeded runs to replay from; name some in replay_runs"})
    with transaction.atomic():
        evaluation: Evaluation = Evaluation.objects.create(
            team_id=flow.team_id, flow=flow, dataset=dataset, version=version, replay=replay,
            replay_runs=replay_runs if replay else [], scorers=scorer_list,
            max_parallel=max_parallel, created_by=user, totals=totals_of([], scorer_list, len(dataset.rows)),
        )
        EvaluationRow.objects.bulk_create(
            [EvaluationRow(evaluation=evaluation, index=index) for index in range(len(dataset.rows))],
            batch_size=500,
        )
    advance(evaluation.pk)
    evaluation.refresh_from_db()
    return evaluation


def do_cancel_evaluation(evaluation: Evaluation) -> None:
    from runs.transitions import cancel_run

    updated = Evaluation.objects.filter(pk=evaluation.pk, status=Evaluation.RUNNING).update(
        status=Evaluation.CANCELLED, finished_at=timezone.now()
    )
    if updated:
        for run_id in evaluation.rows.filter(status=EvaluationRow.RUNNING).values_list("run_id", flat=True):
            if run_id is not None:
                cancel_run(str(run_id), by="the evaluation's cancel")


def on_run_finished(sender, run_id: str, **kwargs: Any) -> None:
    """runs.effects.run_finished: a row's run (or a judge's) ended. Never raises: the other
    receivers of the signal must run, and the next read of the evaluation catches up."""
    try:
        evaluation_id = (EvaluationRow.objects.filter(run_id=run_id, status=EvaluationRow.RUNNING)
                         .values_list("evaluation_id", flat=True).first())
        if evaluation_id is None:
            evaluation_id = (EvaluationRow.objects.filter(judge_runs__contains=[str(run_id)],
                                                          status=EvaluationRow.JUDGING)
                             .values_list("evaluation_id", flat=True).first())
        if evaluation_id is not None:
            advance(evaluation_id)
    except Exception as exc:  # noqa: BLE001
        log.warning("advancing the evaluation of run %s failed: %s", run_id, exc)


def advance(evaluation_id: int) -> None:
    """Score the rows whose runs ended, start rows up to the evaluation's parallelism, and
    finish the evaluation when every row is done."""
    with transaction.atomic():
        evaluation = (Evaluation.objects.select_for_update(of=("self",))
                      .select_related("flow", "dataset", "version").filter(pk=evaluation_id).first())
        if evaluation is None or evaluation.status != Evaluation.RUNNING:
            return
        dataset_rows = evaluation.dataset.rows
        in_flight = 0
        for row in evaluation.rows.filter(status=EvaluationRow.RUNNING).select_related("run"):
            if row.run is None or row.run.status in engine.TERMINAL_RUN_STATUSES:
                _score_row(evaluation, row, dataset_rows[row.index])
            if row.status == EvaluationRow.RUNNING:
                in_flight += 1
        for row in evaluation.rows.filter(status=EvaluationRow.JUDGING):
            if not _judged(evaluation, row):
                in_flight += 1
        room = evaluation.max_parallel - in_flight
        if room > 0:
            pending = list(evaluation.rows.filter(status=EvaluationRow.PENDING)[:room])
            # Rows start long after the request that asked for them: the creator must still
            # be allowed to run the flow (removed from the team, demoted, deactivated: no).
            refusal = _why_creator_may_not_run(evaluation) if pending else None
            for row in pending:
                if refusal:
                    row.status, row.passed, row.error = EvaluationRow.DONE, False, refusal
                    row.save(update_fields=["status", "passed", "error"])
                else:
                    _start_row(evaluation, row, dataset_rows[row.index])
        rows = list(evaluation.rows.all())
        evaluation.totals = totals_of(rows, evaluation.scorers, len(rows))
        fields = ["totals"]
        if all(row.status == EvaluationRow.DONE for row in rows):
            evaluation.status = Evaluation.SUCCEEDED
            evaluation.finished_at = timezone.now()
            fields += ["status", "finished_at"]
        evaluation.save(update_fields=fields)


def _why_creator_may_not_run(evaluation: Evaluation) -> str | None:
    user = evaluation.created_by
    if user is None or not user.is_active:
        return "not started: the person who started the evaluation is no longer active"
    if not role_allows(Access(user).role_in(evaluation.flow.team_id), Capability.RUNS_START):
        return "not started: the person who started the evaluation may no longer run this team's flows"
    return None


def _start_row(evaluation: Evaluation, row: EvaluationRow, data: dict[str, Any]) -> None:
    from runs.services import do_start_run

    try:
        run = do_start_run(
            flow=evaluation.flow, user=evaluation.created_by, inputs=data.get("inputs") or {},
            version=evaluation.version, trigger=TRIGGER,
            replay=list(evaluation.replay_runs) if evaluation.replay else None,
        )
    except Problem as problem:
        row.status, row.passed, row.error = EvaluationRow.DONE, False, f"the run could not start: {problem}"
        row.save(update_fields=["status", "passed", "error"])
        return
    row.run = run
    row.status = EvaluationRow.RUNNING
    row.save(update_fields=["run", "status"])
    if run.status in engine.TERMINAL_RUN_STATUSES:  # it ended inside the start
        run.refresh_from_db()
        _score_row(evaluation, row, data)


def _score_row(evaluation: Evaluation, row: EvaluationRow, data: dict[str, Any]) -> None:
    run = row.run
    row.status = EvaluationRow.DONE
    if run is None:
        row.passed, row.error = False, "its run was deleted"
    else:
        row.run_status = run.status
        row.cost_usd = float((run.usage or {}).get("cost_usd", 0) or 0)
        if run.started_at and run.finished_at:
            row.latency_ms = max(0, int((run.finished_at - run.started_at).total_seconds() * 1000))
        if run.status == engine.SUCCEEDED:
            row.outputs = run.outputs or {}
            results = [
                {"type": "judge", "score": None, "pass": None, "reason": "judging"} if scorer["type"] == "judge"
                else {"type": scorer["type"], **scorers.score(scorer, row.outputs, data.get("expected")).as_json()}
                for scorer in evaluation.scorers
            ]
            row.scores = results
            row.passed = all(result["pass"] for result in results)
            if any(scorer["type"] == "judge" for scorer in evaluation.scorers):
                row.passed = None
                row.status = EvaluationRow.JUDGING
                row.judge_runs = _start_judges(evaluation, row, data)
        else:
            row.passed = False
            error = run.error or {}
            message = error.get("message") if isinstance(error, dict) else str(error)
            row.error = f"the run {run.status}" + (f": {message}" if message else "")
    row.save(update_fields=["status", "run_status", "cost_usd", "latency_ms", "outputs", "scores",
                            "passed", "error", "judge_runs"])
    if row.status == EvaluationRow.JUDGING:
        _judged(evaluation, row)  # judges that ended inside their start


def _start_judges(evaluation: Evaluation, row: EvaluationRow, data: dict[str, Any]) -> list[str]:
    """One run per judge scorer (trigger "judge"), live even when the rows replay: the judge
    is not the flow under test. A judge that cannot start is "" (scored 0 with why)."""
    from runs.services import do_start_run

    started = []
    for index, scorer in enumerate(evaluation.scorers):
        if scorer["type"] != "judge":
            continue
        try:
            judge = do_start_run(
                flow=evaluation.flow, user=evaluation.created_by, trigger=JUDGE_TRIGGER,
                inputs=scorers.judge_inputs(scorer, row.outputs or {}, data.get("expected")),
                graph=scorers.judge_graph(scorer),
            )
        except Problem as problem:
            row.scores[index] = {"type": "judge", "score": 0.0, "pass": False,
                                 "reason": f"the judge could not start: {problem}"}
            started.append("")
            continue
        started.append(str(judge.pk))
    return started


def _judged(evaluation: Evaluation, row: EvaluationRow) -> bool:
    """Score a judging row once all its judge runs ended; False while one still runs."""
    ids = [run_id for run_id in row.judge_runs if run_id]
    runs = {str(run.pk): run for run in Run.objects.filter(pk__in=ids)}
    if any(run.status not in engine.TERMINAL_RUN_STATUSES for run in runs.values()):
        return False
    judges = iter(row.judge_runs)
    for index, scorer in enumerate(evaluation.scorers):
        if scorer["type"] != "judge":
            continue
        judge = runs.get(next(judges))
        if judge is None:
            continue  # it could not start: scored already
        row.cost_usd += float((judge.usage or {}).get("cost_usd", 0) or 0)
        if judge.status == engine.SUCCEEDED:
            verdict = scorers.parse_judge((judge.outputs or {}).get("verdict"),
                                          scorer.get("threshold", scorers.DEFAULT_THRESHOLD))
            row.scores[index] = {"type": "judge", **verdict.as_json()}
        else:
            message = (judge.error or {}).get("message", "") if isinstance(judge.error, dict) else ""
            row.scores[index] = {"type": "judge", "score": 0.0, "pass": False,
                                 "reason": f"the judge's run {judge.status}: {message}"[:300]}
    row.passed = all(result["pass"] for result in row.scores)
    row.status = EvaluationRow.DONE
    row.save(update_fields=["status", "scores", "passed", "cost_usd"])
    return True


def totals_of(rows: list[EvaluationRow], scorer_list: list[dict[str, Any]], count: int) -> dict[str, Any]:
    done = [row for row in rows if row.status == EvaluationRow.DONE]
    passed = sum(1 for row in done if row.passed)
    latencies = [row.latency_ms for row in done if row.latency_ms is not None]
    means = []
    for index, scorer in enumerate(scorer_list):
        values = [row.scores[index]["score"] if len(row.scores) > index else 0.0 for row in done]
        means.append({"type": scorer["type"], "mean": round(sum(values) / len(values), 6) if values else None})
    return {
        "rows": count,
        "done": len(done),
        "passed": passed,
        "failed": len(done) - passed,
        "pass_rate": round(passed / len(done), 6) if done else None,
        "scorers": means,
        "cost_usd": round(sum(row.cost_usd for row in done), 10),
        "mean_latency_ms": round(sum(latencies) / len(latencies)) if latencies else None,
    }


# --- reading ---------------------------------------------------------------------------------
def row_json(row: EvaluationRow, data: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "index": row.index,
        "status": row.status,
        "inputs": (data or {}).get("inputs"),
        "expected": (data or {}).get("expected"),
        "run": str(row.run_id) if row.run_id else None,
        "run_status": row.run_status or None,
        "outputs": row.outputs,
        "scores": row.scores,
        "pass": row.passed,
        "error": row.error or None,
        "cost_usd": row.cost_usd,
        "latency_ms": row.latency_ms,
    }


def evaluation_json(evaluation: Evaluation, *, with_rows: bool = True) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "id": evaluation.pk,
        "flow": evaluation.flow_id,
        "dataset": evaluation.dataset_id,
        "version": evaluation.version.number if evaluation.version else "draft",
        "replay": evaluation.replay,
        "replay_runs": evaluation.replay_runs,
        "scorers": evaluation.scorers,
        "max_parallel": evaluation.max_parallel,
        "status": evaluation.status,
        "totals": evaluation.totals,
        "created_at": evaluation.created_at,
        "finished_at": evaluation.finished_at,
    }
    if with_rows:
        data = evaluation.dataset.rows
        shown["rows"] = [row_json(row, data[row.index] if row.index < len(data) else None)
                         for row in evaluation.rows.all()]
    return shown


def compare(first: Evaluation, second: Evaluation) -> dict[str, Any]:
    """Two evaluations of the same dataset, row by row: which rows changed their verdict."""
    if first.dataset_id != second.dataset_id:
        raise Invalid({"other": "compare evaluations of the same dataset"})
    before = {row.index: row for row in first.rows.all()}
    after = {row.index: row for row in second.rows.all()}
    rows = []
    changes = {"fixed": 0, "broken": 0, "same": 0}
    for index in sorted(set(before) | set(after)):
        a, b = before.get(index), after.get(index)
        pass_a, pass_b = (a.passed if a else None), (b.passed if b else None)
        change = "same"
        if pass_a is False and pass_b is True:
            change = "fixed"
        elif pass_a is True and pass_b is False:
            change = "broken"
        changes[change] += 1
        rows.append({
            "index": index,
            "change": change,
            "before": {"pass": pass_a, "scores": a.scores if a else None, "outputs": a.outputs if a else None,
                       "cost_usd": a.cost_usd if a else None, "latency_ms": a.latency_ms if a else None},
            "after": {"pass": pass_b, "scores": b.scores if b else None, "outputs": b.outputs if b else None,
                      "cost_usd": b.cost_usd if b else None, "latency_ms": b.latency_ms if b else None},
        })
    return {"before": first.pk, "after": second.pk, "changes": changes,
            "totals": {"before": first.totals, "after": second.totals}, "rows": rows}
