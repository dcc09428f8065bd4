"""The run websocket, in process with WebsocketCommunicator, over the real channel layer."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.models import ApiKey
from orchestrator_site.asgi import application
from runs.core import engine
from runs.effects import run_group
from runs.models import Run
from tests.conftest import join
from tests.helpers import edge, graph, make_flow, node, start, wait_for_run

pytestmark = pytest.mark.worker


def run_async(coroutine):
    """Run a coroutine from a sync test the way Django does (asgiref's thread-sensitive
    executor then works across several calls in one test)."""

    async def wrapper():
        return await coroutine

    return async_to_sync(wrapper)()


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def communicator(run_id, *, cookie: str | None = None, key: str | None = None, origin: str | None = "http://127.0.0.1:8000"):
    # As a browser on http://127.0.0.1:8000 sends it.
    headers = [(b"host", b"127.0.0.1:8000")]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    if key:
        headers.append((b"authorization", f"Bearer {key}".encode()))
    if origin:
        headers.append((b"origin", origin.encode()))
    return WebsocketCommunicator(application, f"/ws/runs/{run_id}/", headers=headers)


async def connect_and_read(comm, until=None, timeout=15.0) -> list[dict]:
    connected, _ = await comm.connect(timeout=5)
    assert connected
    messages = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        output = await comm.receive_output(timeout=deadline - loop.time())
        if output["type"] == "websocket.close":
            messages.append({"closed": output.get("code")})
            break
        import json

        message = json.loads(output["text"])
        messages.append(message)
        if until is not None and until(message):
            break
    await comm.disconnect()
    return messages


def run_ends(message) -> bool:
    return message.get("type") == "run.status" and message["status"] not in engine.ACTIVE_RUN_STATUSES


def delayed_flow(user, seconds=0.5):
    return make_flow(
        user,
        graph([node("in", "input"), node("wait", "delay", seconds=seconds),
               node("hi", "template", template="hi {{ input }}"), node("out", "output")],
              [edge("in", "wait"), edge("wait", "hi"), edge("hi", "out")]),
    )


def test_it_sends_a_snapshot_then_every_event_in_order(running, alice):
    run = start(delayed_flow(alice), alice, {"x": 1})
    messages = run_async(connect_and_read(communicator(run.id, cookie=session_cookie(alice)), until=run_ends))
    snapshot, events = messages[0], messages[1:]
    assert snapshot["type"] == "run.snapshot"
    assert snapshot["run"]["id"] == str(run.id)
    assert {n["node_id"] for n in snapshot["run"]["nodes"]} == {"in", "wait", "hi", "out"}
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(snapshot["seq"] + 1, snapshot["seq"] + 1 + len(events)))
    final = {}
    for event in [*({**n, "type": "node.status"} for n in snapshot["run"]["nodes"]), *events]:
        if event["type"] == "node.status":
            final[event["node_id"]] = event["status"]
    assert final == {"in": "succeeded", "wait": "succeeded", "hi": "succeeded", "out": "succeeded"}
    outputs = [e for e in events if e["type"] == "node.output" and e["node_id"] == "hi"]
    assert outputs and outputs[0]["output"] == "hi {'x': 1}"
    assert events[-1]["status"] == "succeeded"
    assert Run.objects.get(pk=run.pk).event_seq == events[-1]["seq"]


def test_a_program_can_watch_with_a_bearer_key_and_no_origin(running, alice):
    run = start(delayed_flow(alice, 0.2), alice)
    _key, raw = ApiKey.issue(alice, "watcher")
    messages = run_async(connect_and_read(communicator(run.id, key=raw, origin=None), until=run_ends))
    assert messages[0]["type"] == "run.snapshot"
    assert run_ends(messages[-1])


@pytest.mark.parametrize(
    "who, code",
    [("nobody", 4401), ("stranger", 4404), ("bad_key", 4401), ("revoked_key", 4401), ("evil_origin", 4403)],
)
def test_it_refuses_whoever_may_not_watch(running, alice, bob, who, code):
    run = wait_for_run(start(delayed_flow(alice, 0), alice))
    options = {}
    if who == "stranger":
        options["cookie"] = session_cookie(bob)
    elif who == "bad_key":
        options["key"] = "bt_not-a-real-key-at-all-000000000"
    elif who == "revoked_key":
        key, raw = ApiKey.issue(alice, "old")
        from django.utils import timezone

        ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
        options["key"] = raw
    elif who == "evil_origin":
        options.update(cookie=session_cookie(alice), origin="https://evil.example")

    async def attempt():
        comm = communicator(run.id, **options)
        connected, close_code = await comm.connect(timeout=5)
        if not connected:
            return close_code
        output = await comm.receive_output(timeout=5)
        await comm.disconnect()
        return output.get("code") if output["type"] == "websocket.close" else output

    result = run_async(attempt())
    assert result == code


def test_a_team_member_may_watch_and_a_key_for_another_team_may_not(running, alice, bob):
    run = wait_for_run(start(delayed_flow(alice, 0), alice))
    join(bob, run.team, "viewer")
    messages = run_async(connect_and_read(communicator(run.id, cookie=session_cookie(bob)),
                                            until=lambda m: m.get("type") == "run.snapshot"))
    assert messages[0]["type"] == "run.snapshot"
    from accounts.services import personal_team

    _key, raw = ApiKey.issue(bob, "own team only", team=personal_team(bob))
    messages = run_async(connect_and_read(communicator(run.id, key=raw, origin=None)))
    assert messages == [{"closed": 4404}]


def test_it_reorders_events_and_resyncs_when_a_gap_does_not_fill(running, alice):
    run = wait_for_run(start(delayed_flow(alice, 0), alice))
    base = Run.objects.get(pk=run.pk).event_seq

    def fake(seq):
        return {"type": "node.delta", "seq": seq, "run_id": str(run.id), "node_id": "hi", "text": f"#{seq}"}

    cookie = session_cookie(alice)

    async def scenario():
        comm = communicator(run.id, cookie=cookie)
        assert (await comm.connect(timeout=5))[0]
        snapshot = await comm.receive_json_from(timeout=5)
        layer = get_channel_layer()
        await layer.group_send(run_group(str(run.id)), {"type": "run.events", "events": [fake(base + 2)]})
        await layer.group_send(run_group(str(run.id)), {"type": "run.events", "events": [fake(base + 1)]})
        first = await comm.receive_json_from(timeout=5)
        second = await comm.receive_json_from(timeout=5)
        # An event whose predecessor never comes: after a moment, a fresh snapshot.
        await layer.group_send(run_group(str(run.id)), {"type": "run.events", "events": [fake(base + 9)]})
        resync = await comm.receive_json_from(timeout=5)
        await comm.disconnect()
        return snapshot, first, second, resync

    snapshot, first, second, resync = run_async(scenario())
    assert snapshot["seq"] == base
    assert [first["seq"], second["seq"]] == [base + 1, base + 2]
    assert resync["type"] == "run.snapshot"


def test_a_client_may_ask_for_a_fresh_snapshot(running, alice):
    run = wait_for_run(start(delayed_flow(alice, 0), alice))

    cookie = session_cookie(alice)

    async def scenario():
        comm = communicator(run.id, cookie=cookie)
        assert (await comm.connect(timeout=5))[0]
        await comm.receive_json_from(timeout=5)
        await comm.send_json_to({"type": "resync"})
        again = await comm.receive_json_from(timeout=5)
        await comm.send_json_to({"type": "ping"})
        pong = await comm.receive_json_from(timeout=5)
        await comm.disconnect()
        return again, pong

    again, pong = run_async(scenario())
    assert again["type"] == "run.snapshot" and again["run"]["status"] == "succeeded"
    assert pong == {"type": "pong"}


def test_revoking_a_key_closes_the_sockets_it_opened_at_once(running, alice):
    from accounts.api_keys import do_revoke_api_key

    run = wait_for_run(start(delayed_flow(alice, 0), alice))
    key, raw = ApiKey.issue(alice, "watcher")

    async def scenario():
        comm = communicator(run.id, key=raw, origin=None)
        assert (await comm.connect(timeout=5))[0]
        assert (await comm.receive_json_from(timeout=5))["type"] == "run.snapshot"
        await database_sync_to_async(do_revoke_api_key)(key)
        # Well before the periodic access check (15 s by default) comes round.
        output = await comm.receive_output(timeout=3)
        await comm.disconnect()
        return output

    output = run_async(scenario())
    assert output == {"type": "websocket.close", "code": 4401}


def test_a_member_removed_from_the_team_loses_an_open_socket(running, alice, bob, settings):
    settings.BATON_WS_ACCESS_CHECK_SECONDS = 0.3
    run = wait_for_run(start(delayed_flow(alice, 0), alice))
    membership = join(bob, run.team, "viewer")
    cookie = session_cookie(bob)

    async def scenario():
        comm = communicator(run.id, cookie=cookie)
        assert (await comm.connect(timeout=5))[0]
        assert (await comm.receive_json_from(timeout=5))["type"] == "run.snapshot"
        # Still a member: the access checks pass and the socket stays open.
        assert await comm.receive_nothing(timeout=1)
        await database_sync_to_async(membership.delete)()
        output = await comm.receive_output(timeout=3)
        await comm.disconnect()
        return output

    output = run_async(scenario())
    assert output == {"type": "websocket.close", "code": 4404}


def test_a_key_that_expires_while_its_socket_is_open_loses_it(running, alice, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.BATON_WS_ACCESS_CHECK_SECONDS = 0.3
    run = wait_for_run(start(delayed_flow(alice, 0), alice))
    key, raw = ApiKey.issue(alice, "short-lived")

    async def scenario():
        comm = communicator(run.id, key=raw, origin=None)
        assert (await comm.connect(timeout=5))[0]
        assert (await comm.receive_json_from(timeout=5))["type"] == "run.snapshot"
        assert await comm.receive_nothing(timeout=1)
        expired = timezone.now() - timedelta(seconds=1)
        await database_sync_to_async(ApiKey.objects.filter(pk=key.pk).update)(expires_at=expired)
        output = await comm.receive_output(timeout=3)
        await comm.disconnect()
        return output

    assert run_async(scenario()) == {"type": "websocket.close", "code": 4401}
