"""Running a node's code: the context it sees, its timeout, and the worker's heartbeat."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.db.models import F, Value
from django.db.models.functions import Concat

from flows.nodes.base import Emit, FatalNodeError, NodeError, Suspend

from . import engine, scheduler
from .events import node_delta_event
from .interrupts import NodeInterrupted, interrupt_main, interruptible
from .models import NodeRun, Run
from .outcomes import Failed, Outcome, Succeeded, Suspended

log = logging.getLogger(__name__)

# Streamed text goes out at most this often per node (a few events a second).
DELTA_INTERVAL_SECONDS = 0.25


class ExecutionContext:
    """What a node's code sees of its run (flows.nodes.base.NodeContext)."""

    def __init__(self, ticket: scheduler.Ticket, *, streaming: bool = True):
        self.run_id = ticket.run_id
        self.node_id = ticket.node_id
        self.node_pk = ticket.node_pk
        self.attempt = ticket.attempt
        self.run_inputs = ticket.run_inputs
        self.run_outputs: dict[str, Any] = {}
        self.usage: dict[str, Any] = {}
        self._streaming = streaming
        self._pending_text: list[str] = []
        self._last_flush = 0.0

    def cancelled(self) -> bool:
        return keeper.cancel_seen

    def emit_delta(self, text: str) -> None:
        if not text or not self._streaming:
            return
        self._pending_text.append(text)
        if time.monotonic() - self._last_flush >= DELTA_INTERVAL_SECONDS:
            self.flush_deltas()

    def flush_deltas(self) -> None:
        if not self._pending_text:
            return
        text = "".join(self._pending_text)
        self._pending_text = []
        self._last_flush = time.monotonic()
        with scheduler.RunStep(self.run_id) as step:
            updated = NodeRun.objects.filter(pk=self.node_pk, status=engine.RUNNING).update(
                stream=Concat(F("stream"), Value(text))
            )
            if updated:
                step.emit(node_delta_event(self.run_id, self.node_id, text))

    def set_run_output(self, key: str, value: Any) -> None:
        self.run_outputs[key] = value

    def add_usage(self, **usage: float) -> None:
        for key, value in usage.items():
            self.usage[key] = self.usage.get(key, 0) + value


def _as_outcome(result: Any, ctx: ExecutionContext) -> Outcome:
    usage = ctx.usage or None
    if isinstance(result, Suspend):
        return Suspended(state=result.state, until=result.until, message=result.message)
    if isinstance(result, Emit):
        return Succeeded(result.value, result.handles, ctx.run_outputs, usage)
    return Succeeded(result, None, ctx.run_outputs, usage)


def _call(ctx: ExecutionContext, timeout: float | None, func, *args) -> Outcome:
    try:
        with interruptible(timeout):
            result = func(*args)
    except NodeInterrupted as exc:
        if exc.reason == "timeout":
            return Failed(f"timed out after {timeout:g} s", "Timeout", True, ctx.usage or None)
        return Failed("cancelled", "Cancelled", False, ctx.usage or None)
    except FatalNodeError as exc:
        return Failed(str(exc), type(exc).__name__, False, ctx.usage or None)
    except NodeError as exc:
        return Failed(str(exc), type(exc).__name__, exc.retryable, ctx.usage or None)
    except Exception as exc:  # noqa: BLE001 - a node's bug must not take the worker down
        log.exception("node %s of run %s raised", ctx.node_id, ctx.run_id)
        return Failed(f"{type(exc).__name__}: {exc}", type(exc).__name__, True, ctx.usage or None)
    return _as_outcome(result, ctx)


def execute(ticket: scheduler.Ticket) -> Outcome:
    inline = not ticket.lease_owner
    ctx = ExecutionContext(ticket, streaming=not inline)
    try:
        return _call(ctx, ticket.timeout, ticket.node_type.run, ctx, ticket.inputs, ticket.spec.config)
    finally:
        if not inline:
            ctx.flush_deltas()


def resume(step: scheduler.RunStep, node: NodeRun, state: dict, payload: Any) -> Outcome:
    spec = step.spec(node.node_id)
    ticket = scheduler.Ticket(
        run_id=step.run_id,
        node_pk=node.pk,
        node_id=node.node_id,
        spec=spec,
        attempt=node.attempts,
        inputs={},
        run_inputs=step.run.inputs,
        lease_owner="",
        timeout=scheduler.INLINE_TIMEOUT_DEFAULT,
    )
    ctx = ExecutionContext(ticket, streaming=False)
    return _call(ctx, ticket.timeout, spec.type.resume, ctx, state, payload, spec.config)


def work_on(node_pk: int) -> None:
    """The body of the execute_node task: claim the node, run it, record it, and go on
    with a successor it made ready while the continuation budget lasts."""
    owner = scheduler.lease_owner()
    ticket = scheduler.claim(node_pk, owner)
    started = time.monotonic()
    while ticket is not None:
        keeper.watch(ticket)
        try:
            outcome = execute(ticket)
        finally:
            keeper.unwatch()
        within_budget = time.monotonic() - started < settings.BATON_CONTINUATION_SECONDS
        ticket = scheduler.complete(ticket, outcome, continue_with=within_budget)


class LeaseKeeper:
    """A thread per worker process: renews the lease of the node this process runs, and
    interrupts it when its run is cancelled or failed elsewhere."""

    POLL_SECONDS = 1.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ticket: scheduler.Ticket | None = None
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._wake = threading.Event()
        self.cancel_seen = False

    def watch(self, ticket: scheduler.Ticket) -> None:
        import os

        with self._lock:
            self._ticket = ticket
            self.cancel_seen = False
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._loop, name="baton-lease", daemon=True)
                self._thread.start()

    def unwatch(self) -> None:
        with self._lock:
            self._ticket = None

    def _loop(self) -> None:
        renew_every = max(1.0, settings.BATON_LEASE_SECONDS / 3)
        last_renewal: dict[int, float] = {}
        while True:
            time.sleep(self.POLL_SECONDS)
            ticket = self._ticket
            if ticket is None:
                continue
            try:
                now = time.monotonic()
                if now - last_renewal.get(ticket.node_pk, 0.0) >= renew_every:
                    scheduler.extend_lease(ticket.node_pk, ticket.lease_owner)
                    last_renewal = {ticket.node_pk: now}
                status = Run.objects.filter(pk=ticket.run_id).values_list("status", flat=True).first()
                if status not in engine.ACTIVE_RUN_STATUSES and self._ticket is ticket:
                    self.cancel_seen = True
                    interrupt_main("cancelled")
            except Exception as exc:  # noqa: BLE001 - keep the heartbeat alive
                log.warning("lease heartbeat failed: %s", exc)
                close_old_connections()


keeper = LeaseKeeper()
