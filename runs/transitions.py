"""Moving a run along, inside a locked step: begin it, release what finished and run or
queue what became ready, record what an attempt came to, finish, fail or cancel it.

Readiness itself is decided by the plain-Python core (runs.core.engine); this module is its
database side. Everything here runs inside a `RunStep` (runs.step) and leaves its side
effects (tasks, events, ended runs) with the step, which performs them after its commit.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import deque
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from flows.graph import CheckedNode
from flows.nodes.base import ERROR_HANDLE

from . import cache, limits
from .child_runs import create_children, reserve_children
from .core import engine
from .core.cache import CACHED, run_saving, saved_usage
from .core.engine import CANCELLED, FAILED, PENDING, QUEUED, RUNNING, SUCCEEDED, WAITING
from .core.outcomes import Continued, Failed, Outcome, Succeeded, Suspended
from .core.supply import REPLAYED
from .events import node_output_event, node_status_event, run_status_event
from .execution import INLINE_TIMEOUT_DEFAULT, Ticket, execute
from .models import NodeRun
from .recordings import save_recording
from .step import LEASE, RunStep

# Waits shorter than this get a timed Celery task; longer ones are woken by the sweeper.
TIMED_WAKE_MAX_SECONDS = 60.0
# A Retry-After longer than this is not waited for: the attempt is retried then anyway.
MAX_RETRY_AFTER_SECONDS = 3600.0


def begin_run(
    run_id: str, *, inline_seconds: float | None = None, team_cap: int | None = None
) -> str | None:
    """Start a pending run: its root nodes are ready. `inline_seconds` bounds the time spent
    running inline nodes here (the web request that started the run); what is still ready
    after it goes to a worker. `team_cap`, when the caller has it at hand, is the team's cap
    on runs in progress (saves reading it). Returns the run's status after the step (None:
    no such run)."""
    with RunStep(run_id) as step:
        if inline_seconds is not None:
            step.inline_until = time.monotonic() + inline_seconds
        if step.run is None:
            return None
        if step.run.status != PENDING:
            return str(step.run.status)
        if step.plan.errors:
            fail_run(step, None, "the graph is invalid: " + step.plan.errors[0]["message"])
            return str(step.run.status)
        step.team_cap = team_cap
        if step.run.parent_run_id is None and limits.must_wait_for_slot(step.run, cap=team_cap):
            # The team's cap on runs in progress is reached: wait in line (runs.limits).
            if step.run.held_at is None:
                step.change_run(held_at=step.now)
            return str(step.run.status)
        step.change_run(status=RUNNING, started_at=step.now)
        step.emit(run_status_event(step.run))
        if len(step.plan.plan.nodes) <= 500:
            step.preload_all()
        advance(step, ready=step.plan.plan.roots())
        finish_if_done(step)
        return str(step.run.status)


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
            if node.source is not None:
                # Supplied (pinned or reused): completes here, with no attempt and no task.
                fired = record_outcome(step, node, supplied_outcome(step, node))
                if fired is not None:
                    to_release.append((node.node_id, fired))
            elif (hit := cached_outcome(step, node)) is not None:
                # The same request was answered before (runs.cache): no attempt, no task.
                fired = record_outcome(step, node, hit)
                if fired is not None:
                    to_release.append((node.node_id, fired))
            elif plan.nodes[node.node_id].inline and step.may_run_inline():
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


def supplied_outcome(step: RunStep, node: NodeRun) -> Succeeded:
    """The output a supplied node was created with (runs.services), as if it had just run.
    Its handles were stored with it too (None for a pin: every output it declares)."""
    node.started_at = step.now
    return Succeeded(step.output_of(node.node_id), handles=node.handles)


def cached_outcome(step: RunStep, node: NodeRun) -> Succeeded | None:
    """The output kept for the request this node is about to make, if the node caches
    and one is kept: the node run then says `cached` and names the run that computed it;
    its usage is what that run spent, as saved (the run's totals count none of it)."""
    spec = step.spec(node.node_id)
    if spec.settings.cache is None:
        return None
    key = cache.key_for(step.run.team_id, step.run.flow_id, spec, gather_inputs(step, node.node_id))
    entry = cache.find(step.run.team_id, key, step.now) if key is not None else None
    if entry is None:
        return None
    node.source = CACHED
    node.source_run_id = entry.source_run
    node.started_at = step.now
    node.usage = saved_usage(entry.usage)
    step.touch(node, "source", "source_run", "usage")
    saving = run_saving(node.usage["saved"])
    if saving:
        run_usage = dict(step.run.usage or {})
        for name, value in saving.items():
            run_usage[name] = round(run_usage.get(name, 0) + value, 10)
        step.change_run(usage=run_usage)
    return Succeeded(entry.output, handles=entry.handles, details=entry.details)


def keep_in_cache(step: RunStep, node: NodeRun, outcome: Succeeded) -> None:
    """Keep an executed node's output when its settings say so, in the step recording it
    (so an entry exists only for an outcome that committed)."""
    spec = step.spec(node.node_id)
    wanted = spec.settings.cache
    if wanted is None or node.source is not None or step.run.flow_id is None:
        return
    key = cache.key_for(step.run.team_id, step.run.flow_id, spec, gather_inputs(step, node.node_id))
    if key is None:
        return
    entry = cache.Entry(
        output=outcome.value, handles=node.handles, usage=outcome.usage,
        details=outcome.details, source_run=step.run_id,
    )
    cache.keep(
        team_id=step.run.team_id, flow_id=step.run.flow_id, key=key, node_type=spec.type.type,
        entry=entry, now=step.now, ttl=wanted.ttl,
    )


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
        idempotency_key=idempotency_key(step.run_id, node),
        replay=tuple(step.run.replay or ()),
    )


def idempotency_key(run_id: str, node: NodeRun) -> str:
    """The same for an attempt run again after its worker was lost (attempts and lost_count
    both went up), new for a retry after a failure."""
    # Hashed: a node id may hold characters a header may not.
    what = f"{run_id}/{node.node_id}/{node.attempts - node.lost_count}"
    return "baton-" + hashlib.sha256(what.encode()).hexdigest()[:40]


def run_inline(step: RunStep, node: NodeRun) -> Outcome:
    start_attempt(step, node)
    return execute(make_ticket(step, node, "", INLINE_TIMEOUT_DEFAULT))


def record_outcome(step: RunStep, node: NodeRun, outcome: Outcome) -> list[str] | None:
    """Write what the node's attempt came to. Returns the handles it fired when it
    finished in a way that lets its children go on, else None."""
    spec = step.spec(node.node_id)
    if outcome.exchanges:
        save_recording(step.run_id, node.node_id, node.attempts, outcome.exchanges)
    node.lease_owner = ""
    node.lease_expires_at = None
    step.touch(node, *LEASE)
    if isinstance(outcome, Succeeded):
        outcome = check_success(step, node, outcome)
    usage = getattr(outcome, "usage", None)
    if usage:
        add_usage(step, node, usage)
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
        if outcome.replayed_from is not None:
            node.source = REPLAYED
            node.source_run_id = outcome.replayed_from
            step.touch(node, "source", "source_run")
        step.outputs[node.node_id] = outcome.value
        keep_in_cache(step, node, outcome)
        if outcome.run_outputs:
            step.change_run(outputs={**step.run.outputs, **outcome.run_outputs})
        step.emit(node_status_event(node))
        step.emit(node_output_event(node))
        return node.handles
    if isinstance(outcome, Suspended) and outcome.children:
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
            create_children(step, node, outcome.children)
        if outcome.until is not None:
            schedule_wake(step, node, outcome.until)
        else:
            node.queued_at = None  # no wake-up sent: it waits for a resume (runs.waits)
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


def check_success(step: RunStep, node: NodeRun, outcome: Succeeded) -> Outcome:
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


def add_usage(step: RunStep, node: NodeRun, usage: dict[str, Any]) -> None:
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
        if outcome.retry_after is not None:
            delay = max(delay, min(outcome.retry_after, MAX_RETRY_AFTER_SECONDS))
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
        fail_run(step, node, f"node {node.node_id} failed: {outcome.message}")
    return fired


def schedule_wake(step: RunStep, node: NodeRun, until: datetime) -> None:
    seconds = max(0.0, (until - step.now).total_seconds())
    if seconds <= TIMED_WAKE_MAX_SECONDS:
        node.queued_at = step.now
        step.wake_later(node, seconds)
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
    if len(step.nodes) >= len(step.plan.plan.nodes):  # every node is in hand: no query
        statuses = {node.status for node in step.nodes.values()}
    else:
        step.flush()
        statuses = set(
            NodeRun.objects.filter(run_id=step.run_id).values_list("status", flat=True).distinct()
        )
    status = engine.run_status_after(statuses)
    if status == run.status:
        return
    if status == SUCCEEDED:
        step.change_run(status=SUCCEEDED, finished_at=timezone.now())
        step.finished = True
    else:
        step.change_run(status=status)
    step.emit(run_status_event(run))


def fail_run(step: RunStep, node: NodeRun | None, message: str) -> None:
    error = {"message": message}
    if node is not None:
        error["node_id"] = node.node_id
    end_run(step, FAILED, error)


def end_run(step: RunStep, status: str, error: dict[str, Any] | None) -> None:
    """End the run now: nodes not yet started are cancelled, running ones are told to stop
    by their worker's heartbeat and are cancelled when they report back."""
    step.change_run(status=status, error=error, finished_at=timezone.now())
    step.flush()
    step.preload_all()
    for node in step.nodes.values():
        if node.status not in (PENDING, QUEUED, WAITING):
            continue
        if node.status == QUEUED and node.task_id:
            step.effects.revoke([node.task_id])
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
        end_run(step, CANCELLED, {"message": f"cancelled by {by}"})
        return True


