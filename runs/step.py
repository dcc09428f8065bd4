"""The locked unit of work of the engine.

Every change of a run's or a node's status happens in a `RunStep`: one transaction that
holds the run's row lock. Decisions made on the state read inside it cannot race with
another worker's (two parents finishing at once release their child exactly once), and the
`seq` of the events it produces follows commit order. The step collects what must happen
because of it in an `Effects` (runs.effects), performed after the commit.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from . import plans, store
from .core import engine
from .effects import Effects, RunEnded
from .events import number_events
from .models import NodeRun, Run

# Fields of a node run that every step writes when it changes the row; all are small.
LIGHT_FIELDS = (
    "status", "blockers", "live_inputs", "attempts", "lost_count", "handles", "error",
    "message", "started_at", "finished_at", "queued_at", "next_attempt_at", "task_id",
    "worker",
)
# Fields written only when a step says so: the lease, which the heartbeat thread also writes.
LEASE = ("lease_owner", "lease_expires_at")


class _Progress:
    """The engine's view of node rows: loads on demand, marks what it hands out as changed."""

    def __init__(self, step: RunStep):
        self.step = step

    def __getitem__(self, node_id: str) -> NodeRun:
        node = self.step.node(node_id)
        self.step.touch(node)
        return node


class RunStep:
    # None only when the run does not exist: every user of a step checks that first.
    run: Run
    plan: plans.RunPlan

    def __init__(self, run_id: Any, expect: Callable[[engine.Plan], list[str]] | None = None):
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
        self.effects = Effects()
        self.finished = False
        self.progress = _Progress(self)
        # Past this (time.monotonic()), inline nodes ready in this step go to a worker.
        self.inline_until: float | None = None
        # The team's cap on runs in progress, when the step was told it (begin_run).
        self.team_cap: int | None = None

    # context management -------------------------------------------------------------------
    def __enter__(self) -> RunStep:
        # Nested in someone else's transaction, our effects must wait for theirs to commit.
        self._nested = connection.in_atomic_block
        self._atomic = transaction.atomic()
        entered = False
        try:
            known = plans.known_plan(self.run_id)
            # The BEGIN (or the savepoint, nested), the run's row and the nodes we expect:
            # one round trip.
            with store.pipeline():
                self._atomic.__enter__()
                entered = True
                now_query = store.send_now()
                run_query = store.send_lock_run(self.run_id)
                node_query = None
                if known is not None and self._expect is not None:
                    node_query = store.send_load_nodes(self.run_id, self._expect(known.plan))
                if now_query is not None:
                    self.now = now_query.value()
                rows = run_query.rows()
                self.run = rows[0] if rows else None  # type: ignore[assignment]
                if node_query is not None:
                    for row in node_query.rows():
                        self.nodes[row.node_id] = row
            if self.run is not None:
                self.plan = plans.plan_for(self.run)
                if self._expect is not None and node_query is None:
                    self.preload(self._expect(self.plan.plan))
        except BaseException as exc:
            if entered:
                self._atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None or self.run is None:
            self._atomic.__exit__(exc_type, exc, tb)
            return
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

    def state_of(self, node: NodeRun) -> dict[str, Any]:
        """A node's kept state, read fresh (it is not among the fields a step loads)."""
        return NodeRun.objects.filter(pk=node.pk).values_list("state", flat=True).first() or {}

    def spec(self, node_id: str):
        return self.plan.nodes[node_id]

    def may_run_inline(self) -> bool:
        return self.inline_until is None or time.monotonic() < self.inline_until

    # writing ---------------------------------------------------------------------------------
    def touch(self, node: NodeRun, *heavy: str) -> None:
        self.touched.add(node.node_id)
        if heavy:
            self.heavy.setdefault(node.node_id, set()).update(heavy)

    def change_run(self, **fields: Any) -> None:
        for name, value in fields.items():
            setattr(self.run, name, value)
            self.run_fields.add(name)

    def emit(self, event: Any) -> None:
        self.events.append(event)

    def dispatch(self, node: NodeRun, countdown: float = 0.0) -> None:
        """Queue the node: a task is sent for it after the commit."""
        from .effects import EXECUTE_NODE

        node.task_id = uuid.uuid4().hex
        node.queued_at = self.now
        self.touch(node)
        self.effects.send(EXECUTE_NODE, node.pk, countdown=countdown, task_id=node.task_id)

    def _dispatch_index(self, node: NodeRun) -> int | None:
        for index, task in enumerate(self.effects.tasks):
            if task.task_id == node.task_id and task.args == (node.pk,) and not task.countdown:
                return index
        return None

    def would_undispatch(self, node: NodeRun) -> bool:
        """Whether this step queued a task for the node that undispatch could take back."""
        return self._dispatch_index(node) is not None

    def undispatch(self, node: NodeRun) -> bool:
        """Take back the task a dispatch of this step queued for the node (the caller runs
        it itself); False when there is none to take back."""
        index = self._dispatch_index(node)
        if index is None:
            return False
        del self.effects.tasks[index]
        node.task_id = ""
        return True

    def wake_later(self, node: NodeRun, countdown: float) -> None:
        from .effects import WAKE_NODE

        self.effects.send(WAKE_NODE, node.pk, countdown=countdown)

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
        store.write_nodes(rows, LIGHT_FIELDS, optional)
        self.touched.clear()
        self.heavy.clear()

    def _write_run(self) -> None:
        if self.events:
            self.events, last = number_events(self.events, self.run.event_seq)
            self.change_run(event_seq=last)
        if self.run_fields:
            store.update_run(self.run, self.run_fields)

    def _after_commit(self) -> None:
        self.effects.publish(self.run_id, self.events)
        if self.finished:
            self.effects.run_ended(RunEnded(
                run_id=self.run_id,
                status=self.run.status,
                parent_run_id=str(self.run.parent_run_id) if self.run.parent_run_id else None,
                parent_node_id=self.run.parent_node_id,
                team_id=self.run.team_id,
                has_callback=self.run.has_callback,
                team_cap=self.team_cap,
            ))
        self.effects.perform()
