"""Runs end to end: a real Celery worker process, PostgreSQL (or SQLite) and Redis."""

from __future__ import annotations

import pytest

from runs.core import engine
from runs.models import NodeRun
from tests.helpers import chain_graph, edge, graph, make_flow, node, nodes_of, start, wait_for_run

pytestmark = pytest.mark.worker


def test_it_runs_a_flow_and_stores_every_node_state(running, alice):
    flow = make_flow(
        alice,
        graph(
            [node("in", "input", key="name"), node("hi", "template", template="Hello {{ input }}"),
             node("out", "output", key="greeting")],
            [edge("in", "hi"), edge("hi", "out")],
        ),
    )
    run = wait_for_run(start(flow, alice, {"name": "Ada"}))
    assert run.status == engine.SUCCEEDED
    assert run.outputs == {"greeting": "Hello Ada"}
    assert run.started_at <= run.finished_at
    nodes = nodes_of(run)
    assert {n: s.status for n, s in nodes.items()} == {"in": "succeeded", "hi": "succeeded", "out": "succeeded"}
    assert nodes["hi"].output == "Hello Ada"
    assert all(n.attempts == 1 for n in nodes.values())


def test_it_runs_queued_nodes_as_celery_tasks(running, alice, http_server):
    flow = make_flow(
        alice,
        graph(
            [node("in", "input"), node("call", "http", url=http_server.url + "/json?q={{ input.q }}"),
             node("pick", "transform", expression="body.query.q"), node("out", "output", key="q")],
            [edge("in", "call"), edge("call", "pick"), edge("pick", "out")],
        ),
    )
    run = wait_for_run(start(flow, alice, {"q": "baton"}))
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs == {"q": "baton"}
    call = NodeRun.objects.get(run=run, node_id="call")
    assert call.output["status"] == 200
    assert call.lease_owner == ""  # released when it finished


def test_branches_run_in_parallel_and_skips_flow_through_a_merge(running, alice, http_server):
    slow = http_server.url + "/slow?seconds=1"
    flow = make_flow(
        alice,
        graph(
            [
                node("in", "input"),
                node("check", "condition", expression="go"),
                node("a", "http", url=slow), node("b", "http", url=slow),
                node("never", "template", template="no"), node("never2", "template", template="no"),
                node("join", "merge", mode="object"), node("out", "output", key="all"),
            ],
            [
                edge("in", "check"), edge("check", "a", "true"), edge("check", "b", "true"),
                edge("check", "never", "false"), edge("never", "never2"),
                edge("a", "join"), edge("b", "join"), edge("never2", "join"), edge("join", "out"),
            ],
        ),
    )
    run = wait_for_run(start(flow, alice, {"go": True}))
    assert run.status == engine.SUCCEEDED, run.error
    nodes = nodes_of(run)
    assert nodes["never"].status == nodes["never2"].status == engine.SKIPPED
    assert sorted(run.outputs["all"]) == ["a", "b"]
    # Both slow calls overlapped: two worker processes ran them at once.
    a, b = nodes["a"], nodes["b"]
    assert a.started_at < b.finished_at and b.started_at < a.finished_at


def test_a_long_chain_of_inline_nodes_runs_in_one_worker_step(running, alice):
    flow = make_flow(alice, chain_graph(50, "template", template="{{ input }}+"))
    run = wait_for_run(start(flow, alice, {}))
    assert run.status == engine.SUCCEEDED
    assert run.outputs["result"].count("+") == 50
