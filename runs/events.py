"""Run events: their shapes, and how they reach websocket clients.

Events are pushed after the commit that made them true (never a state the database later
rolls back), through one long-lived asyncio loop per process: opening a Redis connection
per event would cost ~5 ms each, a push from a warm loop well under one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future
from typing import Any, Literal, TypedDict

from django.conf import settings

log = logging.getLogger(__name__)


def run_group(run_id: str) -> str:
    return f"run.{run_id}"


def finished_channel(run_id: str) -> str:
    return f"{settings.BATON_CHANNEL_PREFIX}:run-finished:{run_id}"


# --- Shapes -----------------------------------------------------------------------------


class NodeStatusEvent(TypedDict):
    type: Literal["node.status"]
    seq: int
    run_id: str
    node_id: str
    status: str
    attempts: int
    error: dict[str, Any] | None
    message: str
    started_at: str | None
    finished_at: str | None
    duration_ms: int | None


class NodeOutputEvent(TypedDict):
    type: Literal["node.output"]
    seq: int
    run_id: str
    node_id: str
    output: Any
    truncated: bool


class NodeDeltaEvent(TypedDict):
    type: Literal["node.delta"]
    seq: int
    run_id: str
    node_id: str
    text: str


class RunStatusEvent(TypedDict):
    type: Literal["run.status"]
    seq: int
    run_id: str
    status: str
    error: dict[str, Any] | None
    outputs: Any
    outputs_truncated: bool
    usage: dict[str, Any]
    started_at: str | None
    finished_at: str | None
    duration_ms: int | None


def iso(value) -> str | None:
    return value.isoformat() if value else None


def node_status_event(node) -> NodeStatusEvent:
    return {
        "type": "node.status",
        "seq": 0,
        "run_id": str(node.run_id),
        "node_id": node.node_id,
        "status": node.status,
        "attempts": node.attempts,
        "error": node.error,
        "message": node.message,
        "started_at": iso(node.started_at),
        "finished_at": iso(node.finished_at),
        "duration_ms": node.duration_ms,
    }


def output_preview(value: Any) -> tuple[Any, bool]:
    """The value, or a string preview of it when it is larger than events may carry."""
    if value is None or isinstance(value, (bool, int, float)):
        return value, False
    text = json.dumps(value, ensure_ascii=False, default=str)
    limit = settings.BATON_EVENT_OUTPUT_MAX_BYTES
    if len(text) <= limit:
        return value, False
    return text[:limit], True


def node_output_event(node) -> NodeOutputEvent:
    output, truncated = output_preview(node.output)
    return {
        "type": "node.output",
        "seq": 0,
        "run_id": str(node.run_id),
        "node_id": node.node_id,
        "output": output,
        "truncated": truncated,
    }


def node_delta_event(run_id: str, node_id: str, text: str) -> NodeDeltaEvent:
    return {"type": "node.delta", "seq": 0, "run_id": run_id, "node_id": node_id, "text": text}


def run_status_event(run) -> RunStatusEvent:
    outputs, truncated = output_preview(run.outputs)
    return {
        "type": "run.status",
        "seq": 0,
        "run_id": str(run.id),
        "status": run.status,
        "error": run.error,
        "outputs": outputs,
        "outputs_truncated": truncated,
        "usage": run.usage,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "duration_ms": run.duration_ms,
    }


# --- Delivery ---------------------------------------------------------------------------


class EventBus:
    """A daemon thread running an event loop that owns this process's channel layer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._layer = None
        self._redis = None
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
            thread = threading.Thread(
                target=loop.run_forever, name="baton-events", daemon=True
            )
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


def number_events(events: Iterable[dict[str, Any]], last_seq: int) -> tuple[list[dict], int]:
    numbered = []
    for event in events:
        last_seq += 1
        numbered.append({**event, "seq": last_seq})
    return numbered, last_seq
