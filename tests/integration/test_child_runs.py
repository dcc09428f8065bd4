"""Sub-flows and maps run child runs: linked to their parent, visible in the API and in
events, waited for without holding a worker, never lost or counted twice."""

from __future__ import annotations

import pytest

from orchestrator_site.problems import GraphInvalid
from runs import transitions
from runs.children import on_run_finished
from runs.core import engine
from runs.effects import run_finished
from runs.models import Run
from tests.helpers import edge, graph, make_flow, node, nodes_of, start, wait_for_node, wait_for_run
from tests.services import EventRecorder

pytestmark = pytest.mark.worker


def greeting_flow(user):
    return make_flow(user, graph(
        [node("in", "input", key="name"), node("hi", "template", template="Hello {{ input }}"),
         node("out", "output", key="greeting")],
        [edge("in", "hi"), edge("hi", "out")]), name="Greet")


def slow_item_flow(user, http_server):
    """A child flow taking {"i", "s"}: sleeps s seconds (in the test HTTP server) and
    answers {"i", "slept"}."""
    return make_flow(user, graph(
        [node("in", "input"),
         node("sleep", "http", url=http_server.url + "/slow?seconds={{ s }}"),
         node("slept", "transform", expression="body.slept"),
         node("which", "transform", expression="i"),
         node("out_i", "output", key="i"), node("out_s", "output", key="slept")],
        [edge("in", "sleep"), edge("sleep", "slept"), edge("slept", "out_s"),
         edge("in", "which"), edge("which", "out_i")]), name="Slow item")


def map_flow(user, child, concurrency):
    return make_flow(user, graph(
        [node("items", "input", key="items"),
         node("each", "map", flow=child.id, concurrency=concurrency),
         node("out", "output", key="results")],
        [edge("items", "each"), edge("each", "out")]))


def test_a_subflow_runs_as_a_linked_child_and_its_outputs_come_back(running, alice, alice_api):
    child_flow = greeting_flow(alice)
    parent = make_flow(alice, graph(
        [node("in", "input"), node("sub", "subflow", flow=child_flow.id), node("out", "output", key="child")],
        [edge("in", "sub"), edge("sub", "out")]))
    run = start(parent, alice, {"name": "Ada"})
    with EventRecorder(str(run.id)) as recorder:
        run = wait_for_run(run)
        recorder.wait_for(lambda evs: any(e["type"] == "run.status" and e["status"] == "succeeded" for e in evs))
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs == {"child": {"greeting": "Hello Ada"}}
    child = Run.objects.get(parent_run=run)
    assert (child.flow_id, child.parent_node_id, child.parent_key, child.trigger) == (child_flow.id, "sub", "0", "subflow")
    assert child.inputs == {"name": "Ada"} and child.status == engine.SUCCEEDED and child.parent_notified
    waiting = [e for e in recorder.events if e.get("node_id") == "sub" and e.get("status") == "waiting"]
    assert waiting and str(child.id) in waiting[0]["message"]
    body = alice_api.get(f"/api/runs/{run.id}/").json()
    assert [c["id"] for c in body["children"]] == [str(child.id)]
    assert body["children"][0]["parent_node_id"] == "sub" and body["children"][0]["status"] == "succeeded"
    assert next(n for n in body["nodes"] if n["node_id"] == "sub")["details"] == {"children": [str(child.id)]}
    child_body = alice_api.get(f"/api/runs/{child.id}/").json()
    assert child_body["parent_run"] == str(run.id) and child_body["parent_node_id"] == "sub"
    listed = alice_api.get(f"/api/runs/?parent={run.id}").json()
    assert [r["id"] for r in listed["results"]] == [str(child.id)]
    top_level = alice_api.get("/api/runs/?top_level=true").json()
    assert [r["id"] for r in top_level["results"]] == [str(run.id)]
    assert alice_api.get("/api/runs/").json()["count"] == 2
    assert alice_api.get("/api/runs/?parent=nope").status_code == 400
    assert alice_api.get("/api/runs/?top_level=maybe").status_code == 400


def test_a_non_object_input_reaches_the_child_as_input(running, alice):
    child_flow = make_flow(alice, graph([node("in", "input", key="input"), node("out", "output", key="got")],
                                        [edge("in", "out")]))
    parent = make_flow(alice, graph(
        [node("in", "input", key="x"), node("sub", "subflow", flow=child_flow.id), node("out", "output", key="r")],
        [edge("in", "sub"), edge("sub", "out")]))
    assert wait_for_run(start(parent, alice, {"x": [1, 2]})).outputs == {"r": {"got": [1, 2]}}


def test_map_keeps_item_order_and_never_runs_more_children_than_its_concurrency(running, alice, http_server):
    child_flow = slow_item_flow(alice, http_server)
    sleeps = [0.8, 0.1, 0.5, 0.05, 0.3, 0.05, 0.4]
    items = [{"i": i, "s": s} for i, s in enumerate(sleeps)]
    run = wait_for_run(start(map_flow(alice, child_flow, concurrency=3), alice, {"items": items}), timeout=60)
    assert run.status == engine.SUCCEEDED, run.error
    assert run.outputs["results"] == [{"i": i, "slept": str(s)} for i, s in enumerate(sleeps)]
    children = list(Run.objects.filter(parent_run=run))
    assert sorted(int(c.parent_key) for c in children) == list(range(len(items)))
    assert all(c.status == engine.SUCCEEDED for c in children)
    # At no moment were more than 3 children under way.
    moments = sorted([(c.created_at, 1) for c in children] + [(c.finished_at, -1) for c in children],
                     key=lambda m: (m[0], m[1]))
    active = peak = 0
    for _, change in moments:
        active += change
        peak = max(peak, active)
    assert 2 <= peak <= 3
    # Children finished out of order (the slow first item last), yet the output is in order.
    finished = [int(c.parent_key) for c in sorted(children, key=lambda c: c.finished_at)]
    assert finished != sorted(finished)
    each = nodes_of(run)["each"]
    assert each.attempts == 1
    assert each.details["children"] == [str(c.id) for c in sorted(children, key=lambda c: int(c.parent_key))]


def test_map_with_concurrency_one_runs_items_one_after_another(running, alice, http_server):
    child_flow = slow_item_flow(alice, http_server)
    items = [{"i": i, "s": 0.1} for i in range(3)]
    run = wait_for_run(start(map_flow(alice, child_flow, concurrency=1), alice, {"items": items}), timeout=60)
    assert run.status == engine.SUCCEEDED, run.error
    children = sorted(Run.objects.filter(parent_run=run), key=lambda c: int(c.parent_key))
    for before, after in zip(children, children[1:], strict=False):
        assert before.finished_at <= after.created_at


def test_a_failing_item_fails_the_map_naming_its_index(running, alice, http_server):
    child_flow = make_flow(alice, graph(
        [node("in", "input"), node("call", "http", url=http_server.url + "/status/{{ 500 if bad else 200 }}"),
         node("out", "output", key="status")],
        [edge("in", "call"), edge("call", "out")]))
    items = [{"bad": False}, {"bad": False}, {"bad": True}, {"bad": False}, {"bad": False}]
    run = wait_for_run(start(map_flow(alice, child_flow, concurrency=1), alice, {"items": items}), timeout=60)
    assert run.status == engine.FAILED
    error = nodes_of(run)["each"].error["message"]
    assert error.startswith("item 2 failed: its run ")
    assert "answered 500" in error
    # Items after the failing one were never started.
    assert sorted(int(c.parent_key) for c in Run.objects.filter(parent_run=run)) == [0, 1, 2]


def test_an_empty_list_maps_to_an_empty_list_and_a_non_list_is_refused(running, alice):
    child_flow = greeting_flow(alice)
    flow = map_flow(alice, child_flow, concurrency=2)
    assert wait_for_run(start(flow, alice, {"items": []})).outputs == {"results": []}
    run = wait_for_run(start(flow, alice, {"items": "nope"}))
    assert "map needs a list on its input, not str" in nodes_of(run)["each"].error["message"]


def test_cancelling_the_parent_cancels_its_children(running, alice, http_server):
    child_flow = slow_item_flow(alice, http_server)
    run = start(map_flow(alice, child_flow, concurrency=2), alice, {"items": [{"i": i, "s": 5} for i in range(4)]})
    wait_for_node(run, "each", {engine.WAITING})
    transitions.cancel_run(str(run.id), by="alice")
    for child in Run.objects.filter(parent_run=run):
        assert wait_for_run(child, timeout=20).status == engine.CANCELLED
    assert Run.objects.filter(parent_run=run).count() == 2


def test_a_flow_calling_itself_stops_at_the_depth_limit(running, alice, monkeypatch):
    flow = make_flow(alice, graph([node("in", "input"), node("again", "subflow")], [edge("in", "again")]))
    flow.graph["nodes"][1]["data"]["config"]["flow"] = flow.id
    flow.save()
    with pytest.raises(GraphInvalid) as refused:
        start(flow, alice)
    assert [e["node_id"] for e in refused.value.errors] == ["again"]
    # Past the start's check (a run started before it existed), the depth limit still holds.
    monkeypatch.setattr("runs.services.check_outside_problems", lambda flow, graph: [])
    run = wait_for_run(start(flow, alice), timeout=60)
    assert run.status == engine.FAILED
    assert "the limit is 5" in run.error["message"]
    assert Run.objects.filter(flow=flow).count() == 6


def test_a_lost_wake_up_is_found_by_the_sweeper(running, alice):
    """The child ends while its `run_finished` message goes nowhere (here: the test
    process cancels it with the receiver disconnected); the worker's sweeper finds the
    child its parent was never told about, and the parent goes on."""
    child_flow = make_flow(alice, graph([node("in", "input"), node("ok", "approval")], [edge("in", "ok")]))
    parent = make_flow(alice, graph([node("in", "input"), node("sub", "subflow", flow=child_flow.id)],
                                    [edge("in", "sub")]))
    run = start(parent, alice)
    wait_for_node(run, "sub", {engine.WAITING})
    child = Run.objects.get(parent_run=run)
    wait_for_run(child, statuses={engine.WAITING})
    run_finished.disconnect(dispatch_uid="runs.children.on_run_finished")
    try:
        transitions.cancel_run(str(child.id), by="a test")
    finally:
        run_finished.connect(on_run_finished, dispatch_uid="runs.children.on_run_finished")
    assert not Run.objects.get(pk=child.pk).parent_notified
    run = wait_for_run(run, timeout=20)
    assert run.status == engine.FAILED
    assert "the sub-flow failed: its run" in nodes_of(run)["sub"].error["message"]
    assert Run.objects.get(pk=child.pk).parent_notified
