"""Run every flow's test cases (its dataset named "tests") in replay mode; exit 1 on a failure.

For people's own CI: needs a worker (runs are executed by workers, as always). Each flow's
tests replay from its recorded runs (evaluations.services.default_replay_runs); a flow with
nothing to replay from fails. Its scorers are the dataset's `exact` unless --scorer says.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from evaluations import services
from evaluations.models import TESTS_DATASET, Dataset, Evaluation
from orchestrator_site.problems import Problem
from runs import recordings


class Command(BaseCommand):
    help = 'Run every flow\'s test cases (its dataset named "tests") in replay mode; exit 1 on a failure.'

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--flow", type=int, action="append", help="only this flow (repeatable)")
        parser.add_argument("--scorer", action="append", default=None,
                            help='a scorer as JSON (repeatable); default {"type": "exact"}')
        parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for each flow")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            scorer_list = services.check_scorers(
                [json.loads(s) for s in options["scorer"]] if options["scorer"] else [{"type": "exact"}]
            )
        except (ValueError, Problem) as exc:
            raise CommandError(f"--scorer: {exc}") from None
        datasets = Dataset.objects.filter(name=TESTS_DATASET).select_related("flow").order_by("flow_id", "-created_at")
        if options["flow"]:
            datasets = datasets.filter(flow_id__in=options["flow"])
        seen: set[int] = set()
        failures = 0
        total = 0
        self.stdout.write(f"{'flow':<40} {'row':>4}  {'result':<6} detail")
        for dataset in datasets:
            if dataset.flow_id in seen:  # the newest tests dataset of each flow
                continue
            seen.add(dataset.flow_id)
            flow = dataset.flow
            label = f"{flow.pk} {flow.name}"[:40]
            try:
                replay = recordings.check_replay(flow, services.default_replay_runs(flow))
                evaluation = services.do_start_evaluation(
                    flow=flow, user=dataset.created_by or flow.created_by, dataset=dataset, version=None,
                    replay=True, replay_runs=replay, scorer_list=scorer_list, max_parallel=services.MAX_PARALLEL,
                )
            except Problem as problem:
                failures += 1
                total += 1
                self.stdout.write(f"{label:<40} {'-':>4}  {'FAIL':<6} {problem}")
                continue
            evaluation = self._wait(evaluation, options["timeout"])
            for row in evaluation.rows.all():
                total += 1
                ok = bool(row.passed) and evaluation.status == Evaluation.SUCCEEDED
                if not ok:
                    failures += 1
                detail = row.error or "; ".join(s["reason"] for s in row.scores if not s["pass"])
                if row.status != "done":
                    detail = f"did not finish within {options['timeout']:g} s"
                self.stdout.write(f"{label:<40} {row.index + 1:>4}  {'ok' if ok else 'FAIL':<6} {detail}"[:300])
        self.stdout.write(f"{total - failures} of {total} test cases passed in {len(seen)} flows")
        if failures:
            raise SystemExit(1)

    def _wait(self, evaluation: Evaluation, timeout: float) -> Evaluation:
        deadline = time.monotonic() + timeout
        while evaluation.status == Evaluation.RUNNING and time.monotonic() < deadline:
            time.sleep(0.2)
            services.advance(evaluation.pk)
            evaluation.refresh_from_db()
        if evaluation.status == Evaluation.RUNNING:
            services.do_cancel_evaluation(evaluation)
            evaluation.refresh_from_db()
        return evaluation
