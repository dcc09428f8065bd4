"""A run's events as Server-Sent Events (`GET /api/runs/<id>/events/`).

The same events as the websocket, one per SSE message: `id` is the event's `seq`, `event`
its type, `data` the event as JSON. Events are not stored, so resuming works on state:

- A client that connects without `Last-Event-ID` (or with one that is not the run's
  current `seq`) first gets a `run.snapshot` event — the run and every node's state as
  of one `seq` — and then every event after it, in `seq` order. Whatever it missed while
  away is in that snapshot, so nothing is lost.
- A client that resumes with the current `seq` gets no snapshot: nothing happened since.
- Events can reach this process out of order or (rarely, while Redis reconnects) not at
  all: they are held back until the gap fills, and a gap that does not fill, or a `seq`
  in the database ahead of what we sent, brings a fresh snapshot.
- The stream ends once the run has ended and no node is still stopping (or after
  END_GRACE_SECONDS, with a last snapshot). Resuming a stream that saw the end answers
  204, which tells a browser's EventSource to stop reconnecting.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings

from accounts.api_keys import api_key_group

from ..core import engine
from ..effects import run_group
from ..models import NodeRun, Run
from .access import lost_access
from .consumer import snapshot_event
from .sequence import GAP_WAIT_SECONDS, SeqBuffer

log = logging.getLogger(__name__)

END_GRACE_SECONDS = 10.0
RETRY_MILLISECONDS = 2000


def format_event(event: dict[str, Any]) -> bytes:
    data = json.dumps(event, ensure_ascii=False, separators=(",", ":"), default=str)
    return f"id: {event['seq']}\nevent: {event['type']}\ndata: {data}\n\n".encode()


def _current_seq(run_id: str) -> int | None:
    return Run.objects.filter(pk=run_id).values_list("event_seq", flat=True).first()


def _nodes_settled(run_id: str) -> bool:
    """No node of the run is still queued or running (an ended run's running nodes report
    `cancelled` when their worker notices)."""
    live = NodeRun.objects.filter(run_id=run_id, status__in=[engine.QUEUED, engine.RUNNING])
    return not live.exists()


def _ends_run(event: dict[str, Any]) -> bool:
    if event["type"] == "run.status":
        return event["status"] not in engine.ACTIVE_RUN_STATUSES
    if event["type"] == "run.snapshot":
        return event["run"]["status"] not in engine.ACTIVE_RUN_STATUSES
    return False


class RunEventStream:
    def __init__(self, run_id: str, last_event_id: int | None, user_id: int, key_id: int | None):
        self.run_id = run_id
        self.last_event_id = last_event_id
        self.user_id = user_id
        self.key_id = key_id
        self.buffer = SeqBuffer()
        self.ended_at: float | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        channel = await layer.new_channel()
        group = run_group(self.run_id)
        # Join before reading the snapshot: what commits after the read comes as events
        # with a higher seq; what came before is in the snapshot.
        await layer.group_add(group, channel)
        # Revoking the key ends the stream at once, as it closes a websocket.
        key_group = api_key_group(self.key_id) if self.key_id is not None else None
        if key_group is not None:
            await layer.group_add(key_group, channel)
        try:
            yield f"retry: {RETRY_MILLISECONDS}\n\n".encode()
            snapshot = await sync_to_async(snapshot_event)(self.run_id)
            if snapshot is None:
                return
            self.buffer.restart_at(snapshot["seq"])
            if self.last_event_id != snapshot["seq"]:
                yield format_event(snapshot)
            if _ends_run(snapshot) and await self._settled():
                return
            if _ends_run(snapshot):
                self.ended_at = time.monotonic()
            async for chunk in self._follow(layer, channel):
                yield chunk
        finally:
            for joined in (group, key_group):
                if joined is None:
                    continue
                try:
                    await layer.group_discard(joined, channel)
                except Exception as exc:  # noqa: BLE001 - the client is gone either way
                    log.debug("could not leave %s: %s", joined, exc)

    async def _settled(self) -> bool:
        return await sync_to_async(_nodes_settled)(self.run_id)

    async def _follow(self, layer, channel) -> AsyncIterator[bytes]:
        keepalive = settings.BATON_SSE_KEEPALIVE_SECONDS
        recheck_every = settings.BATON_WS_ACCESS_CHECK_SECONDS
        last_sent = time.monotonic()
        next_access_check = last_sent + recheck_every
        receiving: asyncio.Future | None = None
        try:
            while True:
                now = time.monotonic()
                if now >= next_access_check:
                    # Roles change and keys expire while a stream stays open (the websocket
                    # asks the same question as often).
                    if await sync_to_async(lost_access)(self.user_id, self.key_id, self.run_id):
                        return
                    next_access_check = now + recheck_every
                wait = min(keepalive - (now - last_sent), next_access_check - now)
                if self.buffer.gap_since is not None:
                    wait = min(wait, GAP_WAIT_SECONDS - (now - self.buffer.gap_since))
                if self.ended_at is not None:
                    wait = min(wait, END_GRACE_SECONDS - (now - self.ended_at), 1.0)
                # One receive stays pending across turns: cancelling it on a timeout could lose
                # the message it was taking (then only the gap check would bring it back).
                if receiving is None:
                    receiving = asyncio.ensure_future(layer.receive(channel))
                done, _ = await asyncio.wait({receiving}, timeout=max(wait, 0.01))
                message = None
                if done:
                    message, receiving = receiving.result(), None
                now = time.monotonic()
                if message is not None and message.get("type") == "api.key.revoked":
                    return
                if message is not None:
                    self.buffer.add(message.get("events", []))
                released = self.buffer.release()
                for event in released:
                    yield format_event(event)
                    if _ends_run(event) and self.ended_at is None:
                        self.ended_at = now
                if released:
                    last_sent = now
                resync = self.buffer.gap_overdue(now)
                if not released and now - last_sent >= keepalive:
                    # Quiet for a while: did we miss anything?
                    current = await sync_to_async(_current_seq)(self.run_id)
                    if current is None:
                        return
                    if current > self.buffer.last_seq:
                        resync = True
                    else:
                        yield b": keepalive\n\n"
                        last_sent = now
                if self.ended_at is not None and not self.buffer.held:
                    if await self._settled():
                        return
                    if now - self.ended_at >= END_GRACE_SECONDS:
                        resync = True
                if resync:
                    snapshot = await sync_to_async(snapshot_event)(self.run_id)
                    if snapshot is None:
                        return
                    self.buffer.restart_at(snapshot["seq"])
                    last_sent = now
                    yield format_event(snapshot)
                    if _ends_run(snapshot):
                        if self.ended_at is None:
                            self.ended_at = now
                        if now - self.ended_at >= END_GRACE_SECONDS or await self._settled():
                            return
        finally:
            if receiving is not None:
                receiving.cancel()  # leaving: nothing more is wanted from it
