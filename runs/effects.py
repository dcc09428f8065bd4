"""The one door side effects leave the engine through.

The engine decides inside a locked step (runs.step) and collects what must happen because
of it — Celery tasks to send, tasks to revoke, events to publish, runs that ended — in an
`Effects`. Only after the step's commit does `Effects.perform` carry them out, so no
client sees, and no worker acts on, a state the database later rolls back. Nothing else in
`runs/` sends a task, publishes an event or fires `run_finished`, and this module imports
nothing else of `runs/` (an import contract in make test keeps it so).

Tasks are sent by name: a web process sending one never imports the worker's code.

Events reach websocket and SSE clients through one long-lived asyncio loop per process:
opening a Redis connection per event would cost ~5 ms each, a push from a warm loop well
under one.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal

log = logging.getLogger(__name__)

# Celery task names (runs.worker.tasks, knowledge.tasks): the public names of the work.
START_RUN = "runs.start_run"
EXECUTE_NODE = "runs.execute_node"
WAKE_NODE = "runs.wake_node"
CANCEL_RUN = "runs.cancel_run"
DELIVER_CALLBACK = "runs.deliver_callback"

# Sent after the commit that ended a run (succeeded, failed or cancelled); kwargs: run_id,
# status, team_id, has_callback, team_cap (None: not known), and for a child run parent_run_id and parent_node_id (else
# None and "").
run_finished = Signal()


def run_group(run_id: str) -> str:
    """The channel-layer group every live client of a run listens on."""
    return f"run.{run_id}"


def finished_channel(run_id: str) -> str:
    """The Redis pub/sub channel told when a run ends (for `?wait` requests)."""
    return f"{settings.BATON_CHANNEL_PREFIX}:run-finished:{run_id}"


@dataclass(frozen=True)
class TaskSend:
    name: str
    args: tuple[Any, ...]
    countdown: float = 0.0
    task_id: str | None = None


@dataclass(frozen=True)
class RunEnded:
    run_id: str
    status: str
    parent_run_id: str | None
    parent_node_id: str
    team_id: int | None = None
    has_callback: bool = True
    team_cap: int | None = None  # the team's cap on runs in progress, when the step knew it


@dataclass
class Effects:
    """What a step (or any engine action) made necessary, performed after its commit."""

    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    tasks: list[TaskSend] = field(default_factory=list)
    revokes: list[str] = field(default_factory=list)
    ended: list[RunEnded] = field(default_factory=list)

    def publish(self, run_id: str, events: list[dict[str, Any]]) -> None:
        if events:
            self.events.setdefault(run_id, []).extend(events)

    def send(self, name: str, *args: Any, countdown: float = 0.0, task_id: str | None = None) -> None:
        self.tasks.append(TaskSend(name, args, countdown, task_id))

    def revoke(self, task_ids: list[str]) -> None:
        self.revokes.extend(task_ids)

    def run_ended(self, ended: RunEnded) -> None:
        self.ended.append(ended)

    def perform(self) -> None:
        for run_id, events in self.events.items():
            bus.publish(run_id, events)
        for task in self.tasks:
            try:
                _send_task(task)
            except Exception as exc:  # noqa: BLE001 - the broker is away: send it when it is back
                unsent.keep(task, exc)
        if self.revokes:
            _revoke(self.revokes)
        for ended in self.ended:
            bus.notify_finished(ended.run_id)
            run_finished.send(
                sender=Effects,
                run_id=ended.run_id,
                status=ended.status,
                parent_run_id=ended.parent_run_id,
                parent_node_id=ended.parent_node_id,
                team_id=ended.team_id,
                has_callback=ended.has_callback,
                team_cap=ended.team_cap,
            )

    def perform_after_commit(self) -> None:
        """Now, or when the transaction the caller is in commits."""
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(self.perform)
        else:
            self.perform()


def send_after_commit(name: str, *args: Any, countdown: float = 0.0) -> None:
    """One task, sent once the caller's transaction (if any) has committed."""
    effects = Effects()
    effects.send(name, *args, countdown=countdown)
    effects.perform_after_commit()


class Unsent:
    """Tasks the broker refused (Redis away): kept by this process and sent again every
    second until the broker takes them, so a run started meanwhile goes on when it returns.
    The database says what each task is for, so if this process dies with them the
    sweeper finds the work they stood for."""

    RETRY_SECONDS = 1.0
    MAX_KEPT = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: list[TaskSend] = []
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def keep(self, task: TaskSend, why: Exception) -> None:
        with self._lock:
            if len(self._tasks) < self.MAX_KEPT:
                self._tasks.append(task)
            if len(self._tasks) == 1:
                log.warning("the broker did not take task %s (%s); sending it again when it can",
                            task.name, why)
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._loop, name="baton-unsent", daemon=True)
                self._thread.start()

    def __len__(self) -> int:
        return len(self._tasks)

    def _loop(self) -> None:
        while True:
            time.sleep(self.RETRY_SECONDS)
            with self._lock:
                pending, self._tasks = self._tasks, []
            for index, task in enumerate(pending):
                try:
                    _send_task(task)
                except Exception:  # noqa: BLE001 - still away
                    with self._lock:
                        self._tasks = pending[index:] + self._tasks
                    break
            else:
                if pending:
                    log.warning("the broker is back: %d task(s) sent", len(pending))


unsent = Unsent()


def _celery_app():
    from orchestrator_site.celery import app

    return app


def _send_task(task: TaskSend) -> None:
    _celery_app().send_task(
        task.name, args=list(task.args), countdown=task.countdown or None, task_id=task.task_id
    )


def _revoke(task_ids: list[str]) -> None:
    try:
        _celery_app().control.revoke(task_ids)
    except Exception as exc:  # noqa: BLE001 - revoking is an optimisation; tasks re-check
        log.warning("could not revoke %d tasks: %s", len(task_ids), exc)


# --- Pushing events ----------------------------------------------------------------------


class EventBus:
    """A daemon thread running an event loop that owns this process's channel layer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._layer: Any = None
        self._redis: Any = None
        self._pending: set[Future] = set()

    def _ensure_started(self) -> asyncio.AbstractEventLoop:
        # After a fork (Celery's prefork pool) the parent's loop thread does not exist in
        # the child: start a fresh one there.
        if self._pid == os.getpid() and self._loop is not None:
            return self._loop
        with self._lock:
            if self._pid == os.getpid() and self._loop is not None:
                return self._loop
            from channels.layers import get_channel_layer

            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="baton-events", daemon=True)
            thread.start()
            self._layer = get_channel_layer()
            self._redis = None
            self._pending = set()
            self._loop = loop
            self._pid = os.getpid()
            return loop

    def publish(self, run_id: str, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        loop = self._ensure_started()
        # When the batch left (after its commit): lets clients and the benchmark tell the
        # time a step took to commit from the time delivery took.
        sent_at = time.time()
        for event in events:
            event["sent_at"] = sent_at
        message = {"type": "run.events", "events": events}
        self._track(asyncio.run_coroutine_threadsafe(self._send(run_group(run_id), message), loop))

    def send_to_group(self, group: str, message: dict[str, Any]) -> None:
        """Any channel-layer message (a revoked key closing its sockets), from the warm loop."""
        loop = self._ensure_started()
        self._track(asyncio.run_coroutine_threadsafe(self._send(group, message), loop))

    def notify_finished(self, run_id: str) -> None:
        loop = self._ensure_started()
        self._track(asyncio.run_coroutine_threadsafe(self._notify(run_id), loop))

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until what was published so far has gone out (tests, process exit)."""
        for future in list(self._pending):
            try:
                future.result(timeout=timeout)
            except Exception:  # noqa: BLE001 - already logged by the callback
                pass

    def _track(self, future: Future) -> None:
        self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future) -> None:
        self._pending.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.warning("could not push run events: %s", future.exception())

    async def _send(self, group: str, message: dict[str, Any]) -> None:
        await self._layer.group_send(group, message)

    async def _notify(self, run_id: str) -> None:
        if self._redis is None:
            import redis.asyncio as aioredis

            self._redis = aioredis.Redis.from_url(settings.REDIS_URL)
        await self._redis.publish(finished_channel(run_id), b"1")


bus = EventBus()
