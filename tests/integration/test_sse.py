"""A run's events as Server-Sent Events, served by a real Daphne: the stream, its end, and
resuming with Last-Event-ID without losing anything."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from accounts.models import ApiKey
from runs.core import engine
from runs.models import NodeRun, Run
from tests.helpers import edge, graph, make_flow, node, start, wait_for_node, wait_for_run

pytestmark = pytest.mark.worker


def parse(lines: Iterator[str]) -> Iterator[dict]:
    """SSE messages as {"id", "event", "data"}; comments are skipped."""
    message: dict = {}
    for line in lines:
        if line == "":
            if "data" in message:
                yield message
            message = {}
        elif line.startswith(":"):
            continue
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                message["data"] = json.loads(value)
            elif name in ("id", "event", "retry"):
                message[name] = value


def delayed_flow(user, seconds: float):
    return make_flow(
        user,
        graph([node("in", "input"), node("wait", "delay", seconds=seconds),
               node("hi", "template", template="hi {{ input }}"), node("out", "output")],
              [edge("in", "wait"), edge("wait", "hi"), edge("hi", "out")]),
    )


@pytest.fixture
def key(alice) -> str:
    return ApiKey.issue(alice, "sse")[1]


def stream(web_server, run_id, key: str, last_event_id=None, **options):
    headers = {"Authorization": f"Bearer {key}", "Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    return httpx.stream("GET", f"{web_server.url}/api/runs/{run_id}/events/", headers=headers,
                        timeout=httpx.Timeout(30, read=20), **options)


def test_it_streams_a_snapshot_then_every_event_in_order_and_ends_with_the_run(running, web_server, alice, key):
    # Long enough for the stream to open before the run ends, even when the request is the
    # first one a web process answers (it loads the app then).
    run = start(delayed_flow(alice, 2), alice, {"x": 1})
    began = time.monotonic()
    with stream(web_server, run.id, key) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        messages = list(parse(response.iter_lines()))
    assert time.monotonic() - began < 15  # it ended by itself
    snapshot, events = messages[0], messages[1:]
    assert snapshot["event"] == "run.snapshot" and snapshot["data"]["run"]["id"] == str(run.id)
    seqs = [int(m["id"]) for m in events]
    assert seqs == list(range(int(snapshot["id"]) + 1, int(snapshot["id"]) + 1 + len(events)))
    assert all(m["event"] == m["data"]["type"] for m in events)
    assert events[-1]["event"] == "run.status" and events[-1]["data"]["status"] == "succeeded"
    assert Run.objects.get(pk=run.pk).event_seq == seqs[-1]


def test_resuming_from_the_current_seq_sends_no_snapshot_only_what_follows(running, web_server, alice, key):
    run = start(delayed_flow(alice, 3), alice)
    wait_for_node(run, "wait", {engine.WAITING})
    seq = Run.objects.get(pk=run.pk).event_seq
    with stream(web_server, run.id, key, last_event_id=seq) as response:
        first = next(parse(response.iter_lines()))
    assert first["event"] != "run.snapshot"
    assert int(first["id"]) == seq + 1
    wait_for_run(run)


def test_resuming_after_missing_events_sends_a_snapshot_so_nothing_is_lost(running, web_server, alice, key):
    run = start(delayed_flow(alice, 1.0), alice)
    with stream(web_server, run.id, key) as response:
        lines = response.iter_lines()
        messages = parse(lines)
        seen = [next(messages)]  # the snapshot, then we drop the connection
    last_seen = int(seen[-1]["id"])
    wait_for_run(run)  # events happen while we are away
    with stream(web_server, run.id, key, last_event_id=last_seen) as response:
        resumed = list(parse(response.iter_lines()))
    assert resumed[0]["event"] == "run.snapshot"
    assert int(resumed[0]["id"]) > last_seen
    state = {n["node_id"]: n["status"] for n in resumed[0]["data"]["run"]["nodes"]}
    for message in resumed[1:]:
        if message["event"] == "node.status":
            state[message["data"]["node_id"]] = message["data"]["status"]
    assert state == {n.node_id: n.status for n in NodeRun.objects.filter(run=run)}
    assert set(state.values()) == {"succeeded"}


def test_resuming_after_the_end_answers_204_so_browsers_stop(running, web_server, alice, key):
    run = wait_for_run(start(delayed_flow(alice, 0), alice))
    final = Run.objects.get(pk=run.pk).event_seq
    with stream(web_server, run.id, key, last_event_id=final) as response:
        assert response.status_code == 204
    # A client that comes late still gets the whole picture, then the end.
    with stream(web_server, run.id, key) as response:
        messages = list(parse(response.iter_lines()))
    assert [m["event"] for m in messages] == ["run.snapshot"]
    assert messages[0]["data"]["run"]["status"] == "succeeded"


def test_it_refuses_strangers_and_bad_resume_points(running, web_server, alice, bob):
    run = wait_for_run(start(delayed_flow(alice, 0), alice))
    bobs = ApiKey.issue(bob, "stranger")[1]
    with stream(web_server, run.id, bobs) as response:
        assert response.status_code == 404
        assert json.loads(response.read())["error"] == "no such run"
    alices = ApiKey.issue(alice, "owner")[1]
    with stream(web_server, run.id, alices, last_event_id="yesterday") as response:
        assert response.status_code == 400
        assert "Last-Event-ID" in json.loads(response.read())["error"]
