"""Runs and node runs: the state of every execution lives here, not in Celery."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from . import engine


class Run(models.Model):
    STATUS_CHOICES = [(status, status) for status in engine.RUN_STATUSES]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="runs")
    # Runs outlive their flow: history stays readable after a flow is deleted.
    flow = models.ForeignKey(
        "flows.Flow", on_delete=models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    flow_revision = models.PositiveIntegerField(null=True, blank=True)
    parent_run = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="child_runs"
    )
    parent_node_id = models.CharField(max_length=100, blank=True, default="")
    # Which of its parent node's children this is (a map item's index, an agent's tool call).
    parent_key = models.CharField(max_length=100, blank=True, default="")
    # Set when the parent node has taken in this child's end; the sweeper wakes parents of
    # ended children still unseen, so a lost wake-up cannot leave a parent waiting forever.
    parent_notified = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=engine.PENDING)
    trigger = models.CharField(max_length=20, default="api")
    inputs = models.JSONField(default=dict)
    outputs = models.JSONField(default=dict)
    error = models.JSONField(null=True, blank=True)
    # The graph as it was run: later edits of the flow do not change a run.
    graph = models.JSONField(default=dict)
    # A digest of `graph`: runs of the same graph share one parsed plan in each worker.
    graph_digest = models.CharField(max_length=64, blank=True, default="")
    # The number of the last event sent for this run; each commit raises it.
    event_seq = models.BigIntegerField(default=0)
    usage = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["flow", "-created_at"]),
            models.Index(fields=["team", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
            models.Index(
                fields=["finished_at"], name="run_child_unnotified",
                condition=models.Q(parent_run__isnull=False, parent_notified=False),
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in engine.ACTIVE_RUN_STATUSES

    @property
    def duration_ms(self) -> int | None:
        if self.started_at and self.finished_at:
            return int((self.finished_at - self.started_at).total_seconds() * 1000)
        return None


class NodeRun(models.Model):
    STATUS_CHOICES = [(status, status) for status in engine.NODE_STATUSES]

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="node_runs")
    node_id = models.CharField(max_length=100)
    type = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=engine.PENDING)
    # Inbound edges whose source has not finished, and those that delivered a value.
    blockers = models.PositiveIntegerField(default=0)
    live_inputs = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    # Times the worker running this node vanished (killed, lost its lease).
    lost_count = models.PositiveIntegerField(default=0)
    output = models.JSONField(null=True, blank=True)
    # Output handles the node fired when it finished (None while it has not).
    handles = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)
    # What a waiting node keeps until it resumes (the delayed value, an approval's state).
    state = models.JSONField(default=dict, blank=True)
    message = models.CharField(max_length=500, blank=True, default="")
    # Text streamed so far (LLM tokens), so a client that reconnects sees it again.
    stream = models.TextField(blank=True, default="")
    usage = models.JSONField(null=True, blank=True)
    # What the node keeps beside its output for people to see: an agent's steps, an
    # approval's decision, a map's child runs.
    details = models.JSONField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When a task was last sent for this node; the sweeper resends one that never started.
    queued_at = models.DateTimeField(null=True, blank=True)
    # When the next attempt is due (retry backoff) or a waiting node wakes.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=200, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "node_id"], name="one_node_run_per_node")
        ]
        # The sweeper's questions, as partial indexes: a row is in at most one of them, so
        # a status change touches few index pages (these rows change several times a run).
        indexes = [
            models.Index(
                fields=["lease_expires_at"], name="noderun_running_lease",
                condition=models.Q(status="running"),
            ),
            models.Index(
                fields=["next_attempt_at"], name="noderun_waiting_due",
                condition=models.Q(status="waiting"),
            ),
            models.Index(
                fields=["queued_at"], name="noderun_queued_since",
                condition=models.Q(status="queued"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.node_id} of {self.run_id} ({self.status})"

    @property
    def duration_ms(self) -> int | None:
        if self.started_at and self.finished_at:
            return int((self.finished_at - self.started_at).total_seconds() * 1000)
        return None
