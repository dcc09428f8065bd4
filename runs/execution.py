"""Running a node's code: what it is given (a `Ticket`), the context it sees
(`ExecutionContext`, the engine's side of flows.nodes.base.NodeContext), its timeout, and
what it came to (an Outcome). Inline nodes run here inside the step that made them ready
(in a worker, or in the web request that started the run); queued nodes in a worker
(runs.worker.runner), which claims them first (runs.leases)."""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import F, Value
from django.db.models.functions import Concat

from flows.graph import CheckedNode
from flows.nodes.base import (
    ChildRun,
    Continue,
    CredentialSecret,
    Emit,
    FatalNodeError,
    NodeError,
    Suspend,
)
from flows.nodes.recording import CURRENT_TAPE, Tape

from .core import engine
from .core.outcomes import ChildIntent, Continued, Failed, Outcome, Succeeded, Suspended
from .effects import CANCEL_RUN, send_after_commit
from .events import node_delta_event
from .interrupts import NodeInterrupted, can_interrupt, interruptible
from .models import NodeRun
from .recordings import Recordings
from .redaction import Redactor, StreamRedactor
from .step import RunStep
from .store import release_connection

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
# Inline nodes run while their step holds the run's lock: they must be quick.
INLINE_TIMEOUT_DEFAULT = 10.0
# How often a node waiting on a blocking call (on a worker's thread) looks whether to stop.
INTERRUPT_POLL_SECONDS = 0.05
# Blocking calls of nodes running on worker threads, so the node's own thread can stop
# waiting for one when its run is cancelled or its time is up (no signal reaches it there).
_blocking_calls = ThreadPoolExecutor(max_workers=256, thread_name_prefix="baton-io")
T = TypeVar("T")


@dataclass
class Ticket:
    """What a node's code needs for one attempt; `lease_owner` is empty for inline nodes."""

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
    idempotency_key: str = ""
    # Replay mode: the runs whose recordings answer this node's requests (Run.replay).
    replay: tuple[str, ...] = ()

    @property
    def node_type(self):
        return self.spec.type


def never_cancelled() -> bool:
    return False


class ExecutionContext:
    """What a node's code sees of its run (flows.nodes.base.NodeContext)."""

    def __init__(
        self, ticket: Ticket, *, streaming: bool = True,
        cancelled: Callable[[], bool] = never_cancelled,
    ):
        self.run_id = ticket.run_id
        self.node_id = ticket.node_id
        self.node_pk = ticket.node_pk
        self.node_type = ticket.spec.type.type
        self.attempt = ticket.attempt
        self.run_inputs = ticket.run_inputs
        self.team_id = ticket.team_id
        self.idempotency_key = ticket.idempotency_key
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
        self._cancelled = cancelled
        self._lease_owner = ticket.lease_owner
        # The attempt's time limit, as the node's own loops see it: on a worker's thread no
        # signal can break into the node's code, so it stops where it checks `cancelled`.
        self._deadline = time.monotonic() + ticket.timeout if ticket.timeout else None
        self.timed_out = False
        # The attempt's outbound exchanges: answered from recordings in replay mode, else
        # recorded (unless BATON_RECORDING is off). Set while the node's code runs.
        self.recordings = Recordings(ticket.replay) if ticket.replay else None
        self.tape = Tape(
            node_id=ticket.node_id, attempt=ticket.attempt, redact=self._redact_text,
            replay=self.recordings, record=settings.BATON_RECORDING,
            max_exchange_bytes=settings.BATON_RECORDING_MAX_BYTES,
        )

    def _redact_text(self, text: str) -> str:
        return self.redactor.text(text) if self.redactor else text

    # --- the run ------------------------------------------------------------------------------
    def cancelled(self) -> bool:
        if self._deadline is not None and time.monotonic() > self._deadline:
            self.timed_out = True
            return True
        return self._cancelled()

    def interruptible(self, call: Callable[[], T]) -> T:
        if can_interrupt():
            return call()  # the main thread: the attempt's signal breaks into the call itself
        # In the context of the node's thread: the outbound door finds the attempt's tape there.
        future = _blocking_calls.submit(contextvars.copy_context().run, call)
        while True:
            try:
                return future.result(timeout=INTERRUPT_POLL_SECONDS)
            except FutureTimeout:
                if self.cancelled():
                    # Left to end by its own timeout; whatever it does then is dropped.
                    future.cancel()
                    raise NodeError("cancelled") from None

    @property
    def state(self) -> dict[str, Any]:
        """What the node kept when it last continued (Continue); read only when asked."""
        if self._state is None:
            row = NodeRun.objects.filter(pk=self.node_pk).values_list("state", flat=True).first()
            self._state = (row or {}).get("continued") or {}
            release_connection()
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
        with RunStep(self.run_id) as step:
            # Only while this attempt holds the node: a stale attempt whose lease another
            # worker took over must not write into that worker's stream.
            updated = NodeRun.objects.filter(
                pk=self.node_pk, status=engine.RUNNING, lease_owner=self._lease_owner
            ).update(stream=Concat(F("stream"), Value(text)))
            if updated:
                step.emit(node_delta_event(self.run_id, self.node_id, text))
        release_connection()

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
            if self.recordings is not None:
                return self._recorded_endpoint()
            raise FatalNodeError(NO_CREDENTIAL_HELP)
        known = self._credentials.get(credential_id)
        if known is None:
            try:
                secret = load_secret(self.team_id, credential_id)
            except Credential.DoesNotExist:
                if self.recordings is not None:
                    return self._recorded_endpoint()
                raise FatalNodeError(
                    f"credential {credential_id} is not a credential of this flow's team: "
                    "choose one of the team's own credentials in the node's config"
                ) from None
            except CredentialUnreadable as exc:
                raise FatalNodeError(str(exc)) from None
            finally:
                release_connection()
            self.redactor.add(*secret.secret_values())
            self._credentials[credential_id] = known = secret
        return known

    def _recorded_endpoint(self) -> CredentialSecret:
        """In replay mode no credential is needed: the model's requests are answered from
        the recording, so the node builds them for the endpoint it called then."""
        assert self.recordings is not None
        found = self.recordings.model_endpoint(self.node_id)
        if found is None:
            raise FatalNodeError(
                f"replay mode: the replayed runs recorded no model call of node {self.node_id}, "
                "so without a credential it cannot run; " + NO_CREDENTIAL_HELP
            )
        return RecordedEndpoint(provider=found[0], base_url=found[1])

    def redact(self, value: Any) -> Any:
        return self.redactor.value(value) if self.redactor else value

    # --- knowledge bases ------------------------------------------------------------------------
    def search_knowledge(
        self, knowledge_base: int | None, query: str, top_k: int, mode: str
    ) -> list[dict[str, Any]]:
        from knowledge.search import search_for_node

        try:
            return search_for_node(self, knowledge_base, query, top_k, mode)
        finally:
            release_connection()

    # --- child runs -----------------------------------------------------------------------------
    def start_child_run(self, flow_id: int | None, inputs: dict[str, Any], key: str) -> str:
        from .child_runs import child_intent

        try:
            intent = child_intent(
                team_id=self.team_id,
                parent_run_id=self.run_id,
                flow_id=flow_id,
                inputs=inputs,
                key=key,
                trigger=self.node_type,
                cache=self._flows,
            )
        finally:
            release_connection()
        self.children.append(intent)
        return intent.run_id

    def child_runs(self, run_ids: list[str]) -> list[ChildRun]:
        from .child_runs import read_children

        try:
            return read_children(self.run_id, self.node_id, run_ids)
        finally:
            release_connection()

    def cancel_child_runs(self, run_ids: list[str]) -> None:
        # A worker cancels each once the step recording this node's outcome has committed.
        for run_id in run_ids:
            send_after_commit(CANCEL_RUN, str(run_id), "its parent node stopped waiting for it")


@dataclass(frozen=True)
class RecordedEndpoint:
    """Stands for a credential in replay mode (flows.nodes.base.CredentialSecret): the
    provider and base URL the recording called, and no key."""

    provider: str
    base_url: str
    id: int = 0
    name: str = "recorded answers"
    api_key: str = ""


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
    taping = CURRENT_TAPE.set(ctx.tape)
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
        if ctx.timed_out:
            outcome = _failed(ctx, f"timed out after {timeout:g} s", "Timeout", True)
        else:
            outcome = _failed(ctx, str(exc), type(exc).__name__, exc.retryable)
            outcome.retry_after = exc.retry_after
    except Exception as exc:  # noqa: BLE001 - a node's bug must not take the worker down
        if ctx.redactor:
            # A traceback could quote a secret (a provider's echo in an exception message).
            log.error("node %s of run %s raised %s: %s", ctx.node_id, ctx.run_id,
                      type(exc).__name__, ctx.redactor.text(str(exc)))
        else:
            log.exception("node %s of run %s raised", ctx.node_id, ctx.run_id)
        outcome = _failed(ctx, f"{type(exc).__name__}: {exc}", type(exc).__name__, True)
    finally:
        CURRENT_TAPE.reset(taping)
    if ctx.redactor:
        outcome = redact_outcome(outcome, ctx.redactor)
    return _taped(ctx, outcome)


def _taped(ctx: ExecutionContext, outcome: Outcome) -> Outcome:
    """Keep what the attempt recorded; in replay mode, say where its answers came from."""
    tape = ctx.tape
    outcome.exchanges = list(tape.exchanges)  # stored with the outcome (record_outcome)
    if tape.answered_from:
        # Replayed answers cost nothing: no model was asked.
        if outcome.usage and "cost_usd" in outcome.usage:
            outcome.usage["cost_usd"] = 0
        if isinstance(outcome, Succeeded):
            outcome.replayed_from = tape.answered_from[0]
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


def execute(ticket: Ticket, cancelled: Callable[[], bool] = never_cancelled) -> Outcome:
    inline = not ticket.lease_owner
    ctx = ExecutionContext(ticket, streaming=not inline, cancelled=cancelled)
    try:
        return _call(ctx, ticket.timeout, ticket.node_type.run, ctx, ticket.inputs, ticket.spec.config)
    finally:
        if not inline:
            ctx.flush_deltas(final=True)


def resume(step: RunStep, node: NodeRun, state: dict, payload: Any) -> Outcome:
    spec = step.spec(node.node_id)
    ticket = Ticket(
        run_id=step.run_id,
        node_pk=node.pk,
        node_id=node.node_id,
        spec=spec,
        attempt=node.attempts,
        inputs={},
        run_inputs=step.run.inputs,
        lease_owner="",
        timeout=INLINE_TIMEOUT_DEFAULT,
        team_id=step.run.team_id,
    )
    ctx = ExecutionContext(ticket, streaming=False)
    return _call(ctx, ticket.timeout, spec.type.resume, ctx, state, payload, spec.config)
