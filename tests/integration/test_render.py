"""runs.render writes a run detail by hand (DRF's serializers cost ~2.5 ms a call on the
hottest path); it must say exactly what RunDetailSerializer says, for runs of every kind."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from flows.models import FlowVersion
from runs.core import engine
from runs.models import NodeRun, Run
from runs.render import RunDetailSerializer, render_run, run_snapshot
from tests.helpers import edge, graph, make_flow, node

pytestmark = pytest.mark.django_db

GRAPH = graph(
    [node("in", "input", key="name"), node("ask", "approval"), node("t", "template", template="{{ input }}"),
     node("out", "output", key="greeting")],
    [edge("in", "ask"), edge("ask", "t", source_handle="approved"), edge("t", "out")],
)


def as_json(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def serializer_says(run_id) -> dict:
    run, nodes = run_snapshot(run_id)
    return as_json(RunDetailSerializer(run, context={"nodes": nodes}).data)


def make_run(flow, user, **fields) -> Run:
    run = Run.objects.create(team_id=flow.team_id, flow=flow, flow_revision=flow.revision, graph=flow.graph,
                             created_by=user, **fields)
    for node_id, type_ in (("in", "input"), ("ask", "approval"), ("t", "template"), ("out", "output")):
        NodeRun.objects.create(run=run, node_id=node_id, type=type_)
    return run


def test_a_finished_run_of_a_version_with_outputs_usage_and_times(alice):
    flow = make_flow(alice, GRAPH)
    version = FlowVersion.objects.create(flow=flow, number=3, graph=GRAPH, flow_revision=1, created_by=alice)
    began = timezone.now() - timedelta(seconds=2)
    run = make_run(flow, alice, version=version, status=engine.SUCCEEDED, outputs={"greeting": "hé"},
                   usage={"tokens": 12}, started_at=began, finished_at=began + timedelta(milliseconds=1234),
                   inputs={"name": "Ada"}, event_seq=7)
    NodeRun.objects.filter(run=run).update(status=engine.SUCCEEDED, output={"x": [1, 2]}, attempts=1,
                                           started_at=began, finished_at=began + timedelta(seconds=1),
                                           usage={"tokens": 3}, worker="w1@host", stream="partial")
    assert render_run(run.pk) == serializer_says(run.pk)
    assert render_run(run.pk)["version"] == 3 and render_run(run.pk)["duration_ms"] == 1234


def test_a_run_held_for_a_slot_and_one_waiting_for_a_person(alice):
    flow = make_flow(alice, GRAPH)
    held = make_run(flow, alice, status=engine.PENDING, held_at=timezone.now())
    assert render_run(held.pk) == serializer_says(held.pk)
    assert render_run(held.pk)["waiting_for_slot"] is True
    waiting = make_run(flow, alice, status=engine.WAITING, started_at=timezone.now())
    NodeRun.objects.filter(run=waiting, node_id="in").update(status=engine.SUCCEEDED)
    NodeRun.objects.filter(run=waiting, node_id="ask").update(status=engine.WAITING, message="approve?")
    rendered = render_run(waiting.pk)
    assert rendered == serializer_says(waiting.pk)
    assert {n["node_id"]: n["reason"] for n in rendered["nodes"]}["ask"] == "approve?"


def test_a_failed_child_run_and_its_parent_with_children(alice):
    flow = make_flow(alice, GRAPH)
    parent = make_run(flow, alice, status=engine.RUNNING, descendant_count=2)
    child = make_run(flow, None, status=engine.FAILED, parent_run=parent, root_run=parent,
                     parent_node_id="t", parent_key="0", error={"message": "boom", "node_id": "t"})
    make_run(flow, alice, status=engine.PENDING, parent_run=parent, root_run=parent, parent_node_id="t",
             parent_key="1")
    for run in (parent, child):
        assert render_run(run.pk) == serializer_says(run.pk)
    assert len(render_run(parent.pk)["children"]) == 2
    assert render_run(child.pk)["parent_run"] == str(parent.pk)
    assert render_run(child.pk)["created_by"] is None


def test_a_missing_run_renders_as_none():
    assert render_run("00000000-0000-0000-0000-000000000000") is None


def test_a_resumed_run_with_pinned_and_reused_nodes(alice):
    flow = make_flow(alice, GRAPH)
    earlier = make_run(flow, alice, status=engine.FAILED)
    run = make_run(flow, alice, status=engine.RUNNING, resumed_from=earlier)
    NodeRun.objects.filter(run=run, node_id="in").update(status=engine.SUCCEEDED, source="reused",
                                                         source_run=earlier, output="Ada")
    NodeRun.objects.filter(run=run, node_id="t").update(source="pinned", output={"pinned": True})
    said = render_run(run.pk)
    assert said == serializer_says(run.pk)
    assert said["resumed_from"] == str(earlier.pk)
    assert [(n["node_id"], n["source"], n["source_run"]) for n in said["nodes"]] == [
        ("in", "reused", str(earlier.pk)), ("ask", None, None), ("t", "pinned", None), ("out", None, None)]
