"""The run websocket: a snapshot on connect, then the run's events in `seq` order.

The snapshot is runs.render's; events are put in order by a SeqBuffer, and a gap that does
not fill brings a fresh snapshot (runs.live.sequence); access is asked again while the
socket stays open (runs.live.access).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts.api_keys import api_key_group

from ..effects import run_group
from ..render import render_run
from .access import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, CLOSE_NOT_SIGNED_IN, lost_access, may_watch
from .sequence import GAP_WAIT_SECONDS, SeqBuffer

log = logging.getLogger(__name__)


def snapshot_event(run_id: Any) -> dict[str, Any] | None:
    """The run and every node's state as one event, with the `seq` it stands at."""
    data = render_run(run_id)
    if data is None:
        return None
    return {"type": "run.snapshot", "seq": data["seq"], "run": data}


class RunConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.run_id = str(self.scope["url_route"]["kwargs"]["run_id"])
        self.group = run_group(self.run_id)
        self.buffer = SeqBuffer()
        self.gap_timer: asyncio.Task | None = None
        self.joined = False
        self.key_group: str | None = None
        self.access_watch: asyncio.Task | None = None
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        allowed = await database_sync_to_async(may_watch)(
            user, self.scope.get("api_key"), self.run_id
        )
        if not allowed:
            await self.close(code=CLOSE_NOT_FOUND if allowed is None else CLOSE_FORBIDDEN)
            return
        # Join before reading the snapshot: whatever commits after the read arrives as an
        # event with a higher seq; whatever came before is in the snapshot and is dropped.
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.joined = True
        key = self.scope.get("api_key")
        if key is not None:
            self.key_group = api_key_group(key.pk)
            await self.channel_layer.group_add(self.key_group, self.channel_name)
        self.access_watch = asyncio.ensure_future(self.watch_access(user.pk, key))
        await self.send_snapshot()

    async def disconnect(self, code) -> None:
        for task in (self.gap_timer, self.access_watch):
            if task is not None:
                task.cancel()
        if self.joined:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.key_group is not None:
            await self.channel_layer.group_discard(self.key_group, self.channel_name)

    async def watch_access(self, user_id: int, key) -> None:
        """Roles change and keys expire while a socket stays open: look again now and then."""
        key_id = key.pk if key is not None else None
        while True:
            await asyncio.sleep(settings.BATON_WS_ACCESS_CHECK_SECONDS)
            try:
                code = await database_sync_to_async(lost_access)(user_id, key_id, self.run_id)
            except Exception:  # noqa: BLE001 - the database is away: ask again next time
                log.warning("could not check a run websocket's access again", exc_info=True)
                continue
            if code is not None:
                await self.close(code=code)
                return

    async def api_key_revoked(self, message: dict) -> None:
        await self.close(code=CLOSE_NOT_SIGNED_IN)

    @classmethod
    async def decode_json(cls, text_data):
        # Clients only send small control messages; anything that does not parse (or is
        # nested absurdly deep) is ignored rather than taking the socket down.
        try:
            return await super().decode_json(text_data)
        except (ValueError, RecursionError):
            return None

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "resync":
            await self.send_snapshot()
        elif kind == "ping":
            await self.send_json({"type": "pong"})

    async def send_snapshot(self) -> None:
        event = await database_sync_to_async(snapshot_event)(self.run_id)
        if event is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.buffer.restart_at(event["seq"])
        await self.send_json(event)
        await self.release_in_order()

    async def run_events(self, message: dict) -> None:
        self.buffer.add(message["events"])
        await self.release_in_order()

    async def release_in_order(self) -> None:
        for event in self.buffer.release():
            await self.send_json(event)
        if self.buffer.held and self.gap_timer is None:
            self.gap_timer = asyncio.ensure_future(self.close_gap())

    async def close_gap(self) -> None:
        """While events are held back, wait for the gap to fill; one that stays open past
        GAP_WAIT_SECONDS is covered by a fresh snapshot."""
        try:
            while self.buffer.held:
                opened = self.buffer.gap_since or time.monotonic()
                await asyncio.sleep(max(0.0, GAP_WAIT_SECONDS - (time.monotonic() - opened)))
                if self.buffer.gap_overdue():
                    await self.send_snapshot()
        finally:
            self.gap_timer = None
