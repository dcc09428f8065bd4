"""The run engine's database side.

Every change of a run's or a node's status happens in a `RunStep`: one transaction that
holds the run's row lock. Decisions made on the state read inside it cannot race with
another worker's (two parents finishing at once release their child exactly once), and the
`seq` of the events it produces follows commit order. Events and Celery tasks go out only
after the commit.

Inline nodes run inside the step that made them ready; queued nodes get a task
(runs.tasks.execute_node), whose worker claims the node (queued → running, with a lease)
in one step, runs its code outside any transaction, and records the outcome in another.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from flows.graph import CheckedNode, check_graph
from flows.nodes.base import ERROR_HANDLE

from . import engine, limits, store
from .engine import (
    CANCELLED,
    FAILED,
    PENDING,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    WAITING,
)
from .events import (
    bus,
    node_output_event,
    node_status_event,
    number_events,
    run_status_event,
)
from .models import NodeRun, Run
from .outcomes import Continued, Failed, Outcome, Succeeded, Suspended

log = logging.getLogger(__name__)

# Fields of a node run that every step writes when it changes the row; all are small.
LIGHT_FIELDS = [
    "status", "blockers", "live_inputs", "attempts", "lost_count", "handles", "error",
    "message", "started_at", "finished_at", "queued_at", "next_attempt_at", "task_id",
]
# Fields written only when a step says so: large values (loaded only when needed), and the
# lease, which the heartbeat thread also writes.
LEASE = ("lease_owner", "lease_expires_at")
# A node's worker may vanish this many times before the node fails instead of re-running.
MAX_LOST = 3
# Waits shorter than this get a timed Celery task; longer ones are woken by the sweeper.
TIMED_WAKE_MAX_SECONDS = 60.0
# Inline nodes run while their step holds the run's lock: they must be quick.
INLINE_TIMEOUT_DEFAULT = 10.0


# --- The plan of a run, cached per process ----------------------------------------------


@dataclass
class RunPlan:
    plan: engine.Plan
    nodes: dict[str, CheckedNode]
    errors: list[dict]

    def outputs_of(self, node_id: str) -> list[str]:
        node = self.nodes[node_id]
        return node.type.output_names(node.config)


def build_plan(graph: dict) -> RunPlan:
    check = check_graph(graph)
    runnable = {nid: node for nid, node in check.nodes.items() if node.type.executable}
    plan_nodes = [
        engine.PlanNode(
            id=node.id,
            type=node.type.type,
            inline=node.type.execution == "inline",
            many_inputs=frozenset(h.name for h in node.type.inputs if h.many),
        )
        for node in runnable.values()
    ]
    edges = [
        engine.Edge(e["id"], e["source"], e["sourceHandle"], e["target"], e["targetHandle"])
        for e in check.graph.get("edges", [])
    ]
    return RunPlan(engine.Plan(plan_nodes, edges), runnable, check.errors)


_plans: OrderedDict[str, RunPlan] = OrderedDict()
# Which plan a run uses, so a step can ask for the nodes it needs along with the run's row.
_plan_of_run: OrderedDict[str, RunPlan] = OrderedDict()
_PLAN_CACHE_SIZE = 128


def graph_digest(graph: dict) -> str:
    return hashlib.sha256(json.dumps(graph, sort_keys=True, default=str).encode()).hexdigest()


def plan_of_graph(digest: str, graph: dict) -> RunPlan:
    """The plan of a graph already checked, from the same cache runs use."""
    run_plan = _plans.get(digest)
    if run_plan is None:
        run_plan = build_plan(graph)
        _plans[digest] = run_plan
        if len(_plans) > _PLAN_CACHE_SIZE:
            _plans.popitem(last=False)
    return run_plan


def plan_for(run: Run, graph: dict | None = None) -> RunPlan:
    """The run's plan, from this process's cache when a run of the same graph was seen.
    `graph` saves a query when the caller has the run's graph at hand."""
    key = run.graph_digest or str(run.pk)
    run_plan = _plans.get(key)
    if run_plan is not None:
        _plans.move_to_end(key)
    else:
        if graph is None:
            graph = Run.objects.filter(pk=run.pk).values_list("graph", flat=True).first() or {}
        run_plan = build_plan(graph)
        _plans[key] = run_plan
        if len(_plans) > _PLAN_CACHE_SIZE:
            _plans.popitem(last=False)
    _plan_of_run[str(run.pk)] = run_plan
    if len(_plan_of_run) > _PLAN_CACHE_SIZE * 8:
        _plan_of_run.popitem(last=False)
    return run_plan


# --- Who we are, for leases --------------------------------------------------------------

_HOST = socket.gethostname()
_NONCE = uuid.uuid4().hex[:8]


def lease_owner() -> str:
    return f"{_HOST}:{os.getpid()}:{_NONCE}"


def lease_owner_is_dead(owner: str) -> bool:
    """True only when we can tell: the owner was a process on this host that is gone."""
    host, _, rest = owner.partition(":")
    if host != _HOST:
        return False
    pid_text = rest.partition(":")[0]
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except (ValueError, PermissionError):
        return False
    return False


# --- Tickets: what a worker needs to run one node ----------------------------------------


@dataclass
class Ticket:
    run_id: str
    node_pk: int
    node_id: str
    spec: CheckedNode
    attempt: int
    inputs: dict[str, Any]
    run_inputs: dict[str, Any]
    lease_owner: str
    timeout: float
    team_id: int = 0

    @property
    def node_type(self):
        return self.spec.type


# --- The locked step -----------------------------------------------------------------------


class _Progress:
    """The engine's view of node rows: loads on demand, marks what it hands out as changed."""

    def __init__(self, step: RunStep):
        self.step = step

    def __getitem__(self, node_id: str) -> NodeRun:
        node = self.step.node(node_id)
        self.step.touch(node)
        return node


class RunStep:
    def __init__(self, run_id: str, expect: Callable[[engine.Plan], list[str]] | None = None):
        """`expect(plan)` names the nodes the step will need, loaded in one query up front."""
        self.run_id = str(run_id)
        self._expect = expect
        self.now = timezone.now()
        self.nodes: dict[str, NodeRun] = {}
        self.outputs: dict[str, Any] = {}
        self.heavy: dict[str, set[str]] = {}
        self.touched: set[str] = set()
        self.run_fields: set[str] = set()
        self.events: list[dict[str, Any]] = []
        self.dispatches: list[tuple[int, str, float]] = []
        self.wakes: list[tuple[int, float]] = []
        self.revokes: list[str] = []
        self.finished = False
        self.progress = _Progress(self)

    # context management -------------------------------------------------------------------
    def __enter__(self) -> RunStep:
        # Nested in someone else's transaction, our events must wait for theirs to commit.
        self._nested = connection.in_atomic_block
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        try:
            known = _plan_of_run.get(self.run_id)
            with store.pipeline():  # the run's row and the nodes we expect: one round trip
                run_query = store.send_lock_run(self.run_id)
                node_query = None
                if known is not None and self._expect is not None:
                    node_query = store.send_load_nodes(self.run_id, self._expect(known.plan))
                rows = run_query.rows()
                self.run = rows[0] if rows else None
                if node_query is not None:
                    for row in node_query.rows():
                        self.nodes[row.node_id] = row
            self.plan = plan_for(self.run) if self.run is not None else None
            if self.run is not None and self._expect is not None and node_query is None:
                self.preload(self._expect(self.plan.plan))
        except BaseException as exc:
            self._atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None or self.run is None:
            return self._atomic.__exit__(exc_type, exc, tb)
        committing = False
        try:
            with store.pipeline():  # the writes and the commit: one round trip
                self.flush()
                self._write_run()
                if self._nested:
                    transaction.on_commit(self._after_commit)
                committing = True
                self._atomic.__exit__(None, None, None)
        except BaseException as error:
            if not committing:
                self._atomic.__exit__(type(error), error, error.__traceback__)
            raise
        if not self._nested:
            self._after_commit()
        return False

    # reading ---------------------------------------------------------------------------------
    def node(self, node_id: str) -> NodeRun:
        node = self.nodes.get(node_id)
        if node is None:
            self.preload([node_id])
            node = self.nodes[node_id]
        return node

    def preload(self, node_ids: Iterable[str]) -> None:
        missing = [node_id for node_id in node_ids if node_id not in self.nodes]
        if not missing:
            return
        for row in store.load_nodes(self.run_id, missing):
            self.nodes[row.node_id] = row

    def preload_all(self) -> None:
        for row in store.load_nodes(self.run_id):
            self.nodes.setdefault(row.node_id, row)

    def output_of(self, node_id: str) -> Any:
        if node_id not in self.outputs:
            self.load_outputs([node_id])
        return self.outputs.get(node_id)

    def load_outputs(self, node_ids: Iterable[str]) -> None:
        missing = [node_id for node_id in node_ids if node_id not in self.outputs]
        if missing:
            rows = NodeRun.objects.filter(run_id=self.run_id, node_id__in=missing)
            self.outputs.update(rows.values_list("node_id", "output"))

    def spec(self, node_id: str) -> CheckedNode:
        return self.plan.nodes[node_id]

    # writing ---------------------------------------------------------------------------------
    def touch(self, node: NodeRun, *heavy: str) -> None:
        self.touched.add(node.node_id)
        if heavy:
            self.heavy.setdefault(node.node_id, set()).update(heavy)

    def change_run(self, **fields: Any) -> None:
        for name, value in fields.items():
            setattr(self.run, name, value)
            self.run_fields.add(name)

    def emit(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def dispatch(self, node: NodeRun, countdown: float = 0.0) -> None:
        node.task_id = uuid.uuid4().hex
        node.queued_at = self.now
        self.touch(node)
        self.dispatches.append((node.pk, node.task_id, countdown))

    def flush(self) -> None:
        """Write the changed node rows: their small fields, and the large or lease fields a
        change asked for."""
        if not self.touched:
            return
        optional: dict[str, set[str]] = {}
        for node_id, fields in self.heavy.items():
            for field in fields:
                optional.setdefault(field, set()).add(node_id)
        rows = [self.nodes[node_id] for node_id in self.touched]
        store.write_nodes(rows, tuple(LIGHT_FIELDS), optional)
        self.touched.clear()
        self.heavy.clear()

    def _write_run(self) -> None:
        if self.events:
            self.events, last = number_events(self.events, self.run.event_seq)
            self.change_run(event_seq=last)
        if self.run_fields:
            store.update_run(self.run, self.run_fields)

    def _after_commit(self) -> None:
        from .tasks import execute_node, wake_node

        if self.events:
            bus.publish(self.run_id, self.events)
        for node_pk, task_id, countdown in self.dispatches:
            execute_node.apply_async(
                args=[node_pk], task_id=task_id, countdown=countdown or None
            )
        for node_pk, countdown in self.wakes:
            wake_node.apply_async(args=[node_pk], countdown=countdown or None)
        if self.revokes:
            revoke_tasks(self.revokes)
        if self.finished:
            bus.notify_finished(self.run_id)
            from .signals import run_finished

            run_finished.send(
                sender=Run,
                run_id=self.run_id,
                status=self.run.status,
                parent_run_id=str(self.run.parent_run_id) if self.run.parent_run_id else None,
                parent_node_id=self.run.parent_node_id,
            )


def revoke_tasks(task_ids: list[str]) -> None:
    from orchestrator_site.celery import app

    try:
        app.control.revoke(task_ids)
    except Exception as exc:  # noqa: BLE001 - revoking is an optimisation; tasks re-check
        log.warning("could not revoke %d tasks: %s", len(task_ids), exc)


# --- Moving a run along ----------------------------------------------------------------------


def begin_run(run_id: str) -> None:
    """Start a pending run: its root nodes are ready."""
    with RunStep(run_id) as step:
        if step.run is None or step.run.status != PENDING:
            return
        if step.plan.errors:
            _fail_run(step, None, "the graph is invalid: " + step.plan.errors[0]["message"])
            return
        if step.run.parent_run_id is None and limits.must_wait_for_slot(step.run):
            # The team's cap on runs in progress is reached: wait in line (runs.limits).
            if step.run.held_at is None:
                step.change_run(held_at=step.now)
            return
        step.change_run(status=RUNNING, started_at=step.now)
        step.emit(run_status_event(step.run))
        if len(step.plan.plan.nodes) <= 500:
            step.preload_all()
        advance(step, ready=step.plan.plan.roots())
        finish_if_done(step)


def advance(
    step: RunStep,
    *,
    finished: Iterable[tuple[str, list[str]]] = (),
    ready: Iterable[str] = (),
) -> None:
    """Release finished nodes, run what becomes ready inline here, queue the rest; repeat
    until nothing moves."""
    plan = step.plan.plan
    to_release = list(finished)
    to_run = deque(ready)
    while (to_release or to_run) and step.run.status in engine.ACTIVE_RUN_STATUSES:
        if to_release:
            step.preload(child for node_id, _ in to_release for child in plan.children(node_id))
            settlement = engine.settle(plan, to_release, step.progress)
            to_release = []
            for node_id in settlement.skipped:
                node = step.node(node_id)
                node.finished_at = step.now
                step.emit(node_status_event(node))
            to_run.extend(settlement.ready)
        while to_run and step.run.status in engine.ACTIVE_RUN_STATUSES:
            node = step.node(to_run.popleft())
            if node.status != PENDING:
                continue
            if plan.nodes[node.node_id].inline:
                fired = record_outcome(step, node, run_inline(step, node))
                if fired is not None:
                    to_release.append((node.node_id, fired))
            else:
                node.status = QUEUED
                node.message = ""
                step.dispatch(node)
                step.emit(node_status_event(node))


def gather_inputs(step: RunStep, node_id: str) -> dict[str, Any]:
    plan = step.plan.plan
    parents = plan.parents(node_id)
    step.preload(parents)
    step.load_outputs(parents)

    def fired_of(parent: str) -> list[str]:
        return step.node(parent).handles or []

    def value_of(parent: str, handle: str) -> Any:
        if handle == ERROR_HANDLE:
            return step.node(parent).error
        return step.output_of(parent)

    return engine.gather_inputs(plan, node_id, fired_of, value_of)


def start_attempt(step: RunStep, node: NodeRun) -> None:
    node.attempts += 1
    node.started_at = node.started_at or timezone.now()
    node.message = ""
    step.touch(node)


def make_ticket(step: RunStep, node: NodeRun, owner: str, default_timeout: float) -> Ticket:
    """What the node's code needs to run this attempt; `owner` is empty for inline nodes."""
    spec = step.spec(node.node_id)
    return Ticket(
        run_id=step.run_id,
        node_pk=node.pk,
        node_id=node.node_id,
        spec=spec,
        attempt=node.attempts,
        inputs=gather_inputs(step, node.node_id),
        run_inputs=step.run.inputs,
        lease_owner=owner,
        timeout=min(spec.settings.timeout or default_timeout, settings.BATON_NODE_TIMEOUT_MAX),
        team_id=step.run.team_id,
    )


def run_inline(step: RunStep, node: NodeRun) -> Outcome:
    from .execution import execute

    start_attempt(step, node)
    return execute(make_ticket(step, node, "", INLINE_TIMEOUT_DEFAULT))


def record_outcome(step: RunStep, node: NodeRun, outcome: Outcome) -> list[str] | None:
    """Write what the node's attempt came to. Returns the handles it fired when it
    finished in a way that lets its children go on, else None."""
    spec = step.spec(node.node_id)
    node.lease_owner = ""
    node.lease_expires_at = None
    step.touch(node, *LEASE)
    if isinstance(outcome, Succeeded):
        outcome = _check_success(step, node, outcome)
    usage = getattr(outcome, "usage", None)
    if usage:
        _add_usage(step, node, usage)
    if outcome.details is not None:
        node.details = outcome.details
        step.touch(node, "details")
    if isinstance(outcome, Succeeded):
        node.status = SUCCEEDED
        node.output = outcome.value
        node.handles = engine.fired_on_success(step.plan.outputs_of(node.node_id), outcome.handles)
        node.error = None
        node.finished_at = timezone.now()
        step.touch(node, "output")
        step.outputs[node.node_id] = outcome.value
        if outcome.run_outputs:
            step.change_run(outputs={**step.run.outputs, **outcome.run_outputs})
        step.emit(node_status_event(node))
        step.emit(node_output_event(node))
        return node.handles
    if isinstance(outcome, Suspended) and outcome.children:
        from .children import reserve_children

        refused = reserve_children(step, len(outcome.children))
        if refused is not None:
            failure = Failed(refused, type="ChildRunLimit", retryable=False)
            return record_failure(step, node, failure, spec)
    if isinstance(outcome, Suspended):
        node.status = WAITING
        node.state = outcome.state
        node.next_attempt_at = outcome.until
        node.message = outcome.message[:500]
        step.touch(node, "state")
        if outcome.children:
            from .children import create_children

            create_children(step, node, outcome.children)
        if outcome.until is not None:
            schedule_wake(step, node, outcome.until)
        step.emit(node_status_event(node))
        return None
    if isinstance(outcome, Continued):
        # Its code goes on in a worker; that is the same attempt, not a new one (claiming
        # counts one, so take it back here).
        node.status = QUEUED
        node.state = {"continued": outcome.state}
        node.attempts = max(0, node.attempts - 1)
        node.next_attempt_at = None
        node.message = outcome.message[:500]
        step.touch(node, "state")
        step.dispatch(node)
        step.emit(node_status_event(node))
        return None
    return record_failure(step, node, outcome, spec)


def _check_success(step: RunStep, node: NodeRun, outcome: Succeeded) -> Outcome:
    try:
        engine.fired_on_success(step.plan.outputs_of(node.node_id), outcome.handles)
        size = len(json.dumps(outcome.value, ensure_ascii=False))
    except ValueError as exc:
        return Failed(str(exc), retryable=False)
    except TypeError as exc:
        return Failed(f"the node's output is not JSON: {exc}", retryable=False)
    if size > settings.BATON_NODE_OUTPUT_MAX_BYTES:
        return Failed(
            f"the node's output is {size} bytes; the limit is {settings.BATON_NODE_OUTPUT_MAX_BYTES}",
            retryable=False,
        )
    return outcome


def _add_usage(step: RunStep, node: NodeRun, usage: dict[str, Any]) -> None:
    if "usage" not in step.heavy.get(node.node_id, ()):
        node.usage = NodeRun.objects.filter(pk=node.pk).values_list("usage", flat=True).first()
    merged = dict(node.usage or {})
    for key, value in usage.items():
        if isinstance(value, (int, float)):
            merged[key] = merged.get(key, 0) + value
    node.usage = merged
    step.touch(node, "usage")
    run_usage = dict(step.run.usage or {})
    for key, value in usage.items():
        if isinstance(value, (int, float)):
            run_usage[key] = round(run_usage.get(key, 0) + value, 10)
    step.change_run(usage=run_usage)


def record_failure(
    step: RunStep, node: NodeRun, outcome: Failed, spec: CheckedNode
) -> list[str] | None:
    node.error = outcome.as_error(node.attempts)
    node_settings = spec.settings
    if outcome.retryable and node.attempts < node_settings.retries + 1:
        delay = engine.retry_delay(node.attempts, node_settings.retry_backoff)
        node.status = QUEUED
        node.next_attempt_at = step.now + timedelta(seconds=delay)
        node.message = f"attempt {node.attempts} failed; retrying in {delay:.1f} s"
        step.dispatch(node, countdown=delay)
        step.emit(node_status_event(node))
        return None
    fired = engine.fired_on_failure(node_settings.on_error, step.plan.outputs_of(node.node_id))
    node.status = FAILED
    node.finished_at = timezone.now()
    node.handles = fired or []
    step.outputs[node.node_id] = None
    step.emit(node_status_event(node))
    if fired is None:
        _fail_run(step, node, f"node {node.node_id} failed: {outcome.message}")
    return fired


def schedule_wake(step: RunStep, node: NodeRun, until: datetime) -> None:
    seconds = max(0.0, (until - step.now).total_seconds())
    if seconds <= TIMED_WAKE_MAX_SECONDS:
        node.queued_at = step.now
        step.wakes.append((node.pk, seconds))
    else:
        node.queued_at = None  # the sweeper wakes it when due


def finish_if_done(step: RunStep) -> None:
    run = step.run
    if run.status not in (RUNNING, WAITING):
        return
    if any(node.status in (QUEUED, RUNNING) for node in step.nodes.values()):
        # Something is queued or running: the run is running, whatever else is true.
        if run.status != RUNNING:
            step.change_run(status=RUNNING)
            step.emit(run_status_event(run))
        return
    step.flush()
    statuses = NodeRun.objects.filter(run_id=step.run_id).values_list("status", flat=True).distinct()
    status = engine.run_status_after(statuses)
    if status == run.status:
        return
    if status == SUCCEEDED:
        step.change_run(status=SUCCEEDED, finished_at=timezone.now())
        step.finished = True
    else:
        step.change_run(status=status)
    step.emit(run_status_event(run))


def _fail_run(step: RunStep, node: NodeRun | None, message: str) -> None:
    error = {"message": message}
    if node is not None:
        error["node_id"] = node.node_id
    _end_run(step, FAILED, error)


def _end_run(step: RunStep, status: str, error: dict[str, Any] | None) -> None:
    """End the run now: nodes not yet started are cancelled, running ones are told to stop
    by their worker's heartbeat and are cancelled when they report back."""
    step.change_run(status=status, error=error, finished_at=timezone.now())
    step.flush()
    step.preload_all()
    for node in step.nodes.values():
        if node.status not in (PENDING, QUEUED, WAITING):
            continue
        if node.status == QUEUED and node.task_id:
            step.revokes.append(node.task_id)
        node.status = CANCELLED
        node.finished_at = step.now
        step.touch(node)
        step.emit(node_status_event(node))
    step.emit(run_status_event(step.run))
    step.finished = True


def cancel_run(run_id: str, by: str) -> bool:
    """Cancel an active run; False when it had already ended."""
    with RunStep(run_id) as step:
        if step.run is None or step.run.status not in engine.ACTIVE_RUN_STATUSES:
            return False
        _end_run(step, CANCELLED, {"message": f"cancelled by {by}"})
        return True


# --- Queued nodes: claim, run elsewhere, complete ---------------------------------------------


def claim(node_pk: int, owner: str) -> Ticket | None:
    """Take a queued node (or one whose worker is gone) for this worker, or None."""
    ref = store.node_ref(node_pk)
    if ref is None:
        return None
    run_id, node_id = ref
    with RunStep(run_id, expect=lambda plan: [node_id, *plan.parents(node_id)]) as step:
        if step.run is None:
            return None
        node = step.node(node_id)
        if step.run.status not in engine.ACTIVE_RUN_STATUSES:
            if node.status in (QUEUED, RUNNING):
                _cancel_node(step, node)
            return None
        if node.status == QUEUED:
            if node.next_attempt_at and node.next_attempt_at > step.now + timedelta(seconds=0.5):
                return None  # an early duplicate of a delayed retry; its own task comes later
        elif node.status == RUNNING:
            if not _lease_is_lost(node.lease_owner, node.lease_expires_at, now=step.now):
                return None
            if not _note_lost(step, node):
                return None
        else:
            return None
        return _claim_in_step(step, node, owner)


def _lease_is_lost(owner: str, expires_at: datetime | None, *, now: datetime) -> bool:
    if expires_at is None or expires_at < now:
        return True
    return bool(owner) and lease_owner_is_dead(owner)


def _note_lost(step: RunStep, node: NodeRun) -> bool:
    """The node's worker vanished mid-run. False when it has vanished too often and the
    node was failed instead of being given another go."""
    node.lost_count += 1
    step.touch(node)
    if node.lost_count > MAX_LOST:
        failure = Failed(
            f"the worker running this node was lost {node.lost_count} times "
            "(killed or out of memory?)",
            type="WorkerLost",
            retryable=False,
        )
        fired = record_outcome(step, node, failure)
        if fired is not None:
            advance(step, finished=[(node.node_id, fired)])
        finish_if_done(step)
        return False
    return True


def _claim_in_step(step: RunStep, node: NodeRun, owner: str) -> Ticket:
    start_attempt(step, node)
    node.status = RUNNING
    node.next_attempt_at = None
    node.lease_owner = owner
    node.lease_expires_at = step.now + timedelta(seconds=settings.BATON_LEASE_SECONDS)
    step.touch(node, *LEASE)
    step.emit(node_status_event(node))
    return make_ticket(step, node, owner, settings.BATON_NODE_TIMEOUT_DEFAULT)


def _cancel_node(step: RunStep, node: NodeRun) -> None:
    node.status = CANCELLED
    node.finished_at = step.now
    node.lease_owner = ""
    node.lease_expires_at = None
    step.touch(node, *LEASE)
    step.emit(node_status_event(node))


def complete(ticket: Ticket, outcome: Outcome, *, continue_with: bool) -> Ticket | None:
    """Record a queued node's outcome. When `continue_with`, one queued node made ready by
    it is claimed for this same worker and returned, saving a trip through the broker."""
    node_id = ticket.node_id
    with RunStep(ticket.run_id, expect=lambda plan: [node_id, *plan.children(node_id)]) as step:
        if step.run is None:
            return None
        node = step.node(node_id)
        if node.status != RUNNING or node.lease_owner != ticket.lease_owner:
            log.info("dropping the outcome of %s: another worker took it over", node)
            return None
        if step.run.status not in engine.ACTIVE_RUN_STATUSES:
            _cancel_node(step, node)
            return None
        fired = record_outcome(step, node, outcome)
        if fired is not None:
            advance(step, finished=[(node.node_id, fired)])
        next_ticket = None
        if continue_with and step.run.status in engine.ACTIVE_RUN_STATUSES:
            next_ticket = _take_one_dispatch(step, ticket.lease_owner)
        finish_if_done(step)
        return next_ticket


def _take_one_dispatch(step: RunStep, owner: str) -> Ticket | None:
    for index, (node_pk, _task_id, countdown) in enumerate(step.dispatches):
        if countdown:
            continue
        node = next((n for n in step.nodes.values() if n.pk == node_pk), None)
        if node is None or node.status != QUEUED:
            continue
        del step.dispatches[index]
        node.task_id = ""
        # Its "queued" event is dropped: the node goes straight to running here.
        step.events = [
            event for event in step.events
            if not (event.get("node_id") == node.node_id and event.get("status") == QUEUED)
        ]
        return _claim_in_step(step, node, owner)
    return None


def extend_lease(node_pk: int, owner: str) -> None:
    NodeRun.objects.filter(pk=node_pk, status=RUNNING, lease_owner=owner).update(
        lease_expires_at=timezone.now() + timedelta(seconds=settings.BATON_LEASE_SECONDS)
    )


# --- Waiting nodes ----------------------------------------------------------------------------


def wake(node_pk: int) -> None:
    """Resume a waiting node whose time has come, or which was given a resume payload."""
    from .execution import resume

    row = NodeRun.objects.filter(pk=node_pk).values("run_id", "node_id").first()
    if row is None:
        return
    with RunStep(row["run_id"]) as step:
        if step.run is None or step.run.status not in engine.ACTIVE_RUN_STATUSES:
            return
        node = step.node(row["node_id"])
        if node.status != WAITING:
            return
        state = NodeRun.objects.filter(pk=node.pk).values_list("state", flat=True).first() or {}
        has_payload = "resume_payload" in state
        if not has_payload:
            if node.next_attempt_at is None:
                return  # waits for a resume from outside
            remaining = (node.next_attempt_at - step.now).total_seconds()
            if remaining > 0.05:
                schedule_wake(step, node, node.next_attempt_at)
                step.touch(node)
                return
        payload = state.pop("resume_payload", None)
        node.state = state
        node.next_attempt_at = None
        step.touch(node, "state")
        outcome = resume(step, node, state, payload)
        fired = record_outcome(step, node, outcome)
        if fired is not None:
            advance(step, finished=[(node.node_id, fired)])
        finish_if_done(step)


def request_resume(run_id: str, node_id: str, payload: Any) -> str | None:
    """Hand a waiting node the payload that resumes it. Returns a problem, or None."""
    with RunStep(run_id) as step:
        if step.run is None:
            return "no such run"
        if step.run.status not in engine.ACTIVE_RUN_STATUSES:
            return f"the run has ended ({step.run.status})"
        if node_id not in step.plan.plan.nodes:
            return f"the run has no node {node_id!r}"
        node = step.node(node_id)
        if node.status != WAITING:
            return f"node {node_id!r} is not waiting (it is {node.status})"
        if not hand_payload(step, node, payload):
            return f"node {node_id!r} is already being resumed"
    return None


def hand_payload(step: RunStep, node: NodeRun, payload: Any) -> bool:
    """Give a waiting node a resume payload and wake it; False if one is already pending."""
    state = NodeRun.objects.filter(pk=node.pk).values_list("state", flat=True).first() or {}
    if "resume_payload" in state:
        return False
    node.state = {**state, "resume_payload": payload}
    node.queued_at = step.now
    step.touch(node, "state")
    step.wakes.append((node.pk, 0.0))
    return True
