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

from flows.nodes.base import (
    ChildRun,
    Continue,
    CredentialSecret,
    Emit,
    FatalNodeError,
    NodeError,
    Suspend,
)

from . import engine, scheduler
from .events import node_delta_event
from .interrupts import NodeInterrupted, interrupt_main, interruptible
from .models import NodeRun, Run
from .outcomes import ChildIntent, Continued, Failed, Outcome, Succeeded, Suspended
from .redaction import Redactor, StreamRedactor

log = logging.getLogger(__name__)

# Streamed text goes out at most this often per node (a few events a second).
DELTA_INTERVAL_SECONDS = 0.25

NO_CREDENTIAL_HELP = (
    "this node has no credential: a team owner adds one on the editor's Credentials page "
    "(or POST /api/credentials/ with "
    '{"name", "provider": "openai" or "anthropic", "data": {"api_key", "base_url"}}; '
    "`make run` adds one itself when OPENAI_API_KEY is set or Ollama runs on this machine), "
    "then choose it in the node's config"
)

_UNSET: Any = object()


class ExecutionContext:
    """What a node's code sees of its run (flows.nodes.base.NodeContext)."""

    def __init__(self, ticket: scheduler.Ticket, *, streaming: bool = True):
        self.run_id = ticket.run_id
        self.node_id = ticket.node_id
        self.node_pk = ticket.node_pk
        self.node_type = ticket.spec.type.type
        self.attempt = ticket.attempt
        self.run_inputs = ticket.run_inputs
        self.team_id = ticket.team_id
        self.run_outputs: dict[str, Any] = {}
        self.usage: dict[str, Any] = {}
        self.details: Any = _UNSET
        self.children: list[ChildIntent] = []
        # Empty until the node loads a credential; then everything it hands back is redacted.
        self.redactor = Redactor()
        self._credentials: dict[int, CredentialSecret] = {}
        self._flows: dict[int, Any] = {}
        self._state: dict[str, Any] | None = None
        self._streaming = streaming
        self._stream_redactor: StreamRedactor | None = None
        self._pending_text: list[str] = []
        self._last_flush = 0.0

    # --- the run ------------------------------------------------------------------------------
    def cancelled(self) -> bool:
        return keeper.cancel_seen

    @property
    def state(self) -> dict[str, Any]:
        """What the node kept when it last continued (Continue); read only when asked."""
        if self._state is None:
            row = NodeRun.objects.filter(pk=self.node_pk).values_list("state", flat=True).first()
            self._state = (row or {}).get("continued") or {}
        return self._state

    def emit_delta(self, text: str) -> None:
        if not text or not self._streaming:
            return
        if self.redactor:
            if self._stream_redactor is None:
                self._stream_redactor = StreamRedactor(self.redactor)
            text = self._stream_redactor.feed(text)
            if not text:
                return
        self._pending_text.append(text)
        if time.monotonic() - self._last_flush >= DELTA_INTERVAL_SECONDS:
            self.flush_deltas()

    def flush_deltas(self, final: bool = False) -> None:
        if final and self._stream_redactor is not None:
            tail = self._stream_redactor.finish()
            if tail:
                self._pending_text.append(tail)
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

    def set_details(self, details: Any) -> None:
        self.details = details

    # --- credentials ----------------------------------------------------------------------------
    def credential(self, credential_id: int | None) -> CredentialSecret:
        from accounts.credentials import CredentialUnreadable, load_secret
        from accounts.models import Credential

        if credential_id is None:
            raise FatalNodeError(NO_CREDENTIAL_HELP)
        secret = self._credentials.get(credential_id)
        if secret is None:
            try:
                secret = load_secret(self.team_id, credential_id)
            except Credential.DoesNotExist:
                raise FatalNodeError(
                    f"credential {credential_id} is not a credential of this flow's team: "
                    "choose one of the team's own credentials in the node's config"
                ) from None
            except CredentialUnreadable as exc:
                raise FatalNodeError(str(exc)) from None
            self.redactor.add(*secret.secret_values())
            self._credentials[credential_id] = secret
        return secret

    def redact(self, value: Any) -> Any:
        return self.redactor.value(value) if self.redactor else value

    # --- knowledge bases ------------------------------------------------------------------------
    def search_knowledge(
        self, knowledge_base: int | None, query: str, top_k: int, mode: str
    ) -> list[dict[str, Any]]:
        from knowledge.search import search_for_node

        return search_for_node(self, knowledge_base, query, top_k, mode)

    # --- child runs -----------------------------------------------------------------------------
    def start_child_run(self, flow_id: int | None, inputs: dict[str, Any], key: str) -> str:
        from .children import child_intent

        intent = child_intent(
            team_id=self.team_id,
            parent_run_id=self.run_id,
            flow_id=flow_id,
            inputs=inputs,
            key=key,
            trigger=self.node_type,
            cache=self._flows,
        )
        self.children.append(intent)
        return intent.run_id

    def child_runs(self, run_ids: list[str]) -> list[ChildRun]:
        from .children import read_children

        return read_children(self.run_id, self.node_id, run_ids)

    def cancel_child_runs(self, run_ids: list[str]) -> None:
        from .children import cancel_children_after_commit

        cancel_children_after_commit(run_ids)


def _as_outcome(result: Any, ctx: ExecutionContext) -> Outcome:
    usage = ctx.usage or None
    details = None if ctx.details is _UNSET else ctx.details
    if isinstance(result, Suspend):
        return Suspended(
            state=result.state, until=result.until, message=result.message, usage=usage,
            details=details, children=ctx.children,
        )
    if isinstance(result, Continue):
        return Continued(state=result.state, message=result.message, usage=usage, details=details)
    if isinstance(result, Emit):
        return Succeeded(result.value, result.handles, ctx.run_outputs, usage, details)
    return Succeeded(result, None, ctx.run_outputs, usage, details)


def _failed(ctx: ExecutionContext, message: str, type_: str, retryable: bool) -> Failed:
    details = None if ctx.details is _UNSET else ctx.details
    return Failed(message, type_, retryable, ctx.usage or None, details)


def _call(ctx: ExecutionContext, timeout: float | None, func, *args) -> Outcome:
    try:
        with interruptible(timeout):
            result = func(*args)
        outcome = _as_outcome(result, ctx)
    except NodeInterrupted as exc:
        if exc.reason == "timeout":
            outcome = _failed(ctx, f"timed out after {timeout:g} s", "Timeout", True)
        else:
            outcome = _failed(ctx, "cancelled", "Cancelled", False)
    except FatalNodeError as exc:
        outcome = _failed(ctx, str(exc), type(exc).__name__, False)
    except NodeError as exc:
        outcome = _failed(ctx, str(exc), type(exc).__name__, exc.retryable)
    except Exception as exc:  # noqa: BLE001 - a node's bug must not take the worker down
        if ctx.redactor:
            # A traceback could quote a secret (a provider's echo in an exception message).
            log.error("node %s of run %s raised %s: %s", ctx.node_id, ctx.run_id,
                      type(exc).__name__, ctx.redactor.text(str(exc)))
        else:
            log.exception("node %s of run %s raised", ctx.node_id, ctx.run_id)
        outcome = _failed(ctx, f"{type(exc).__name__}: {exc}", type(exc).__name__, True)
    if ctx.redactor:
        outcome = redact_outcome(outcome, ctx.redactor)
    return outcome


def redact_outcome(outcome: Outcome, redactor: Redactor) -> Outcome:
    """The outcome with every string in it redacted: values, errors, state, details."""
    if isinstance(outcome, Succeeded):
        outcome.value = redactor.value(outcome.value)
        outcome.run_outputs = redactor.value(outcome.run_outputs)
    elif isinstance(outcome, Failed):
        outcome.message = redactor.text(outcome.message)
    elif isinstance(outcome, Suspended):
        outcome.state = redactor.value(outcome.state)
        outcome.message = redactor.text(outcome.message)
        for intent in outcome.children:
            intent.inputs = redactor.value(intent.inputs)
    elif isinstance(outcome, Continued):
        outcome.state = redactor.value(outcome.state)
        outcome.message = redactor.text(outcome.message)
    outcome.details = redactor.value(outcome.details)
    return outcome


def execute(ticket: scheduler.Ticket) -> Outcome:
    inline = not ticket.lease_owner
    ctx = ExecutionContext(ticket, streaming=not inline)
    try:
        return _call(ctx, ticket.timeout, ticket.node_type.run, ctx, ticket.inputs, ticket.spec.config)
    finally:
        if not inline:
            ctx.flush_deltas(final=True)


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
        team_id=step.run.team_id,
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
