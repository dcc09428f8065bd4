"""The run websocket: a snapshot on connect, then the run's events in `seq` order.

Events of one run are committed by several worker processes and can reach us out of
order, or (rarely, while Redis reconnects) not at all. We hold back an event until the
ones before it have come, and if a gap does not fill within a moment we send a fresh
snapshot instead, so the client's picture is always whole.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from accounts.access import Access
from accounts.api_keys import api_key_group
from accounts.models import ApiKey
from accounts.roles import Capability

from .events import run_group
from .models import Run
from .serializers import RunDetailSerializer
from .services import run_snapshot

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
GAP_WAIT_SECONDS = 0.5

log = logging.getLogger(__name__)


def may_watch(user, key, run_id) -> bool | None:
    """True if allowed, None if the run does not exist for them, False if forbidden."""
    run = Run.objects.filter(pk=run_id).values("team_id", "flow_id").first()
    if run is None:
        return None
    access = Access(user=user, key=key)
    try:
        access.check_flow_object(run["team_id"], run["flow_id"], Capability.RUNS_READ, what="run")
    except Http404:
        return None
    except PermissionDenied:
        return False
    return True


def lost_access(user_id: int, key_id: int | None, run_id) -> int | None:
    """The close code for a stream whose access went since it opened (a revoked or expired
    key, a deactivated user, a lost membership), or None while it may still watch. The
    websocket and the SSE stream both ask this."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    key = None
    if key_id is not None:
        key = ApiKey.objects.usable().filter(pk=key_id).first()
    if user is None or (key_id is not None and key is None):
        return CLOSE_NOT_SIGNED_IN
    allowed = may_watch(user, key, run_id)
    if allowed:
        return None
    return CLOSE_NOT_FOUND if allowed is None else CLOSE_FORBIDDEN


def snapshot_event(run_id) -> dict[str, Any] | None:
    snapshot = run_snapshot(run_id)
    if snapshot is None:
        return None
    run, nodes = snapshot
    data = RunDetailSerializer(run, context={"nodes": nodes}).data
    return {"type": "run.snapshot", "seq": run.event_seq, "run": data}


class RunConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.run_id = str(self.scope["url_route"]["kwargs"]["run_id"])
        self.group = run_group(self.run_id)
        self.last_seq = 0
        self.held: dict[int, dict] = {}
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
        self.last_seq = event["seq"]
        self.held = {seq: e for seq, e in self.held.items() if seq > self.last_seq}
        await self.send_json(event)
        await self.release_in_order()

    async def run_events(self, message: dict) -> None:
        for event in message["events"]:
            if event["seq"] > self.last_seq:
                self.held[event["seq"]] = event
        await self.release_in_order()

    async def release_in_order(self) -> None:
        while self.last_seq + 1 in self.held:
            self.last_seq += 1
            await self.send_json(self.held.pop(self.last_seq))
        if self.held and self.gap_timer is None:
            self.gap_timer = asyncio.ensure_future(self.close_gap())

    async def close_gap(self) -> None:
        try:
            await asyncio.sleep(GAP_WAIT_SECONDS)
            self.gap_timer = None
            if self.held and self.last_seq + 1 not in self.held:
                await self.send_snapshot()
        finally:
            self.gap_timer = None
