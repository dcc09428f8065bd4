"""Runs and node runs: the state of every execution lives here, not in Celery."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from .core import engine


class Run(models.Model):
    STATUS_CHOICES = [(status, status) for status in engine.RUN_STATUSES]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="runs")
    # Runs outlive their flow: history stays readable after a flow is deleted.
    flow = models.ForeignKey(
        "flows.Flow", on_delete=models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    flow_revision = models.PositiveIntegerField(null=True, blank=True)
    # The published version that ran (null: the draft, or a draft graph from the editor).
    version = models.ForeignKey(
        "flows.FlowVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    parent_run = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="child_runs"
    )
    parent_node_id = models.CharField(max_length=100, blank=True, default="")
    # Which of its parent node's children this is (a map item's index, an agent's tool call).
    parent_key = models.CharField(max_length=100, blank=True, default="")
    # The top-level run a child run descends from (null on the top-level run itself), and on
    # a top-level run the number of child runs its tree has made: it may make at most
    # BATON_MAX_CHILD_RUNS (runs.children).
    root_run = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    descendant_count = models.PositiveIntegerField(default=0)
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
    # A callback is to be delivered when the run ends (runs.callbacks): saves its ending a
    # look for one.
    has_callback = models.BooleanField(default=False)
    # The number of the last event sent for this run; each commit raises it.
    event_seq = models.BigIntegerField(default=0)
    usage = models.JSONField(default=dict)
    # The failed run this one resumes (POST /api/runs/<id>/resume/): its succeeded nodes'
    # outputs were reused here instead of being computed again.
    resumed_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="resumptions"
    )
    # Replay mode: the runs (ids) whose recorded exchanges answer this run's outbound
    # requests, with no network (runs.recordings); empty: requests go out and are recorded.
    # Child runs inherit it.
    replay = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the run first found its team's cap on runs in progress reached and began to wait
    # in line (see runs.limits); it starts when a slot frees.
    held_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["flow", "-created_at"]),
            models.Index(fields=["team", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
            models.Index(
                fields=["finished_at"], name="run_child_unnotified",
                condition=models.Q(parent_run__isnull=False, parent_notified=False),
            ),
            # The team cap's questions: runs in progress, and the line of those waiting.
            models.Index(
                fields=["team"], name="run_active_by_team",
                condition=models.Q(status__in=["running", "waiting"], parent_run__isnull=True),
            ),
            models.Index(
                fields=["team", "created_at"], name="run_pending_by_team",
                condition=models.Q(status="pending", parent_run__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.id} ({self.status})"

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
    # The worker that ran (or runs) its latest attempt, kept when it ends: for the run page
    # and for whoever debugs it.
    worker = models.CharField(max_length=200, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True, default="")
    # Where the output comes from when the node is not executed (runs.core.supply): "pinned"
    # (the graph's data.pinned), "reused" (a node run of `source_run`) or "cached" (an
    # output kept by the node output cache, computed in `source_run`); "replayed": it was
    # executed, but every request it made was answered from the recording of `source_run`;
    # None: executed.
    source = models.CharField(max_length=10, null=True, blank=True, default=None)
    source_run = models.ForeignKey(
        Run, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

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


class Exchange(models.Model):
    """One outbound request of a node attempt and the answer it got (flows.nodes.recording):
    the fingerprint (method, URL without secrets, canonical body) and the response, with
    credential values redacted. Deleted with its run, so it is kept exactly as long."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="exchanges")
    node_id = models.CharField(max_length=100)
    attempt = models.PositiveIntegerField(default=1)
    # Its place among the attempt's exchanges.
    seq = models.PositiveIntegerField(default=0)
    # SHA-256 of the fingerprint: what a replay looks answers up by.
    key = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    url = models.TextField()
    request_body = models.TextField(blank=True, default="")
    status = models.PositiveSmallIntegerField(default=0)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True, default="")
    body_base64 = models.BooleanField(default=False)
    # Bytes of the answer; over a size cap the body is not kept (`truncated`).
    size = models.PositiveIntegerField(default=0)
    truncated = models.BooleanField(default=False)
    # Why the body was not kept (over a size cap, or it quoted a credential).
    note = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["run", "key"], name="exchange_by_key")]

    def __str__(self) -> str:
        return f"{self.method} {self.url} of {self.node_id} in {self.run_id}"


class RunRequest(models.Model):
    """An `Idempotency-Key` a team's program sent, and the run it started.

    The unique (team, key) makes concurrent identical requests start one run: the second
    insert waits for the first transaction and fails, and its request answers with the run
    the first one made. Kept as long as the run.
    """

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of what was asked (the flow and the request body): the same key with another
    # request is refused (422).
    request_hash = models.CharField(max_length=64)
    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="request")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "key"], name="one_run_per_idempotency_key")
        ]


class CallbackDelivery(models.Model):
    """The POST of a finished run to the `callback_url` its starter gave.

    Made with the run (status `waiting`), due when the run ends (`pending`), then tried
    with backoff until the receiver answers 2xx (`delivered`) or the attempts run out
    (`failed`). The row is the durable part: a worker that dies mid-attempt leaves it
    pending, and the sweeper sends it again.
    """

    WAITING = "waiting"
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    STATUS_CHOICES = [(s, s) for s in (WAITING, PENDING, DELIVERED, FAILED)]

    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="callback")
    url = models.URLField(max_length=2000)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=WAITING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # An attempt in progress holds the row until then; a worker lost mid-attempt lets go.
    locked_until = models.DateTimeField(null=True, blank=True)
    # The exact bytes signed and sent (made at the first attempt, so retries send the same).
    body = models.TextField(blank=True, default="")
    response_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="callback_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(
                fields=["created_at"], name="callback_waiting",
                condition=models.Q(status="waiting"),
            ),
        ]

    def __str__(self) -> str:
        return f"callback of {self.run_id} to {self.url} ({self.status})"


class CachedOutput(models.Model):
    """A node's output kept for `settings.cache.ttl` seconds (runs.cache): a later run of
    the same flow whose node would make the same request (`key`, runs.core.cache.cache_key)
    takes it instead of executing. Scoped to a team, and within it to the flow (the key
    names the flow): one team never sees another's, and clearing one flow's is exact."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    # Its flow's entries go with the flow; the key names the flow, so no other flow finds them.
    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    node_type = models.CharField(max_length=100)
    output = models.JSONField(null=True, blank=True)
    # The output handles the execution fired (a condition's branch).
    handles = models.JSONField(null=True, blank=True)
    # What the execution cost; a hit reports it as saved.
    usage = models.JSONField(null=True, blank=True)
    # What the node kept beside its output (a router's category, code's stdout).
    details = models.JSONField(null=True, blank=True)
    # The run that executed the node (null once that run is deleted; the entry stays good).
    source_run = models.ForeignKey(Run, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "key"], name="one_cached_output_per_key")
        ]
        indexes = [models.Index(fields=["expires_at"], name="cached_output_expiry")]

    def __str__(self) -> str:
        return f"cached {self.node_type} output {self.key[:12]} (team {self.team_id})"
