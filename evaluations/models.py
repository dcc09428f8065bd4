"""Datasets of a flow (rows of inputs and what is expected) and evaluations running them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

# A flow's dataset by this name holds its test cases (`manage.py test_flows`).
TESTS_DATASET = "tests"


class Dataset(models.Model):
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=200)
    # [{"inputs": {...}, "expected": <json>}], bounded by evaluations.datasets.
    rows = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class Evaluation(models.Model):
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # every row ran and was scored (rows may fail their scores)
    CANCELLED = "cancelled"
    STATUSES = [(s, s) for s in (RUNNING, SUCCEEDED, CANCELLED)]

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="evaluations")
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="evaluations")
    # None: the flow's draft.
    version = models.ForeignKey(
        "flows.FlowVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    replay = models.BooleanField(default=False)
    replay_runs = models.JSONField(default=list, blank=True)
    scorers = models.JSONField(default=list)
    max_parallel = models.PositiveSmallIntegerField(default=4)
    status = models.CharField(max_length=10, choices=STATUSES, default=RUNNING)
    totals = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class EvaluationRow(models.Model):
    PENDING = "pending"
    RUNNING = "running"
    JUDGING = "judging"  # its run succeeded; judge runs score it
    DONE = "done"

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="rows")
    index = models.PositiveIntegerField()
    status = models.CharField(max_length=10, default=PENDING)
    run = models.ForeignKey(
        "runs.Run", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    run_status = models.CharField(max_length=10, blank=True, default="")
    outputs = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    # The runs judging it, one per judge scorer in the scorers' order.
    judge_runs = models.JSONField(default=list, blank=True)
    # [{"type", "score", "pass", "reason"}], one per scorer.
    scores = models.JSONField(default=list)
    passed = models.BooleanField(null=True)
    cost_usd = models.FloatField(default=0)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "index"], name="one_row_per_index")
        ]
        indexes = [models.Index(fields=["run"])]
