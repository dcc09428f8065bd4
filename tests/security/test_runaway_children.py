"""A flow that calls itself, directly or through other flows, is saved as a draft with a
problem naming the loop, and refused when run or validated; and one top-level run makes at
most BATON_MAX_CHILD_RUNS child runs in all, however the calls nest."""

from __future__ import annotations

import pytest

from runs.core import engine
from runs.models import Run
from tests.conftest import api_client
from tests.helpers import edge, graph, make_flow, node, start, wait_for_run

INPUT_ONLY = graph([node("in", "input"), node("out", "output")], [edge("in", "out")])


def calling(flow_id: int, type_: str = "subflow") -> dict:
    return graph([node("in", "input"), node("call", type_, flow=flow_id)], [edge("in", "call")])


@pytest.mark.django_db
def test_a_flow_that_calls_itself_is_saved_with_the_loop_named_and_does_not_run(alice):
    flow = make_flow(alice, INPUT_ONLY, name="Loop")
    client = api_client(alice)
    response = client.patch(f"/api/flows/{flow.id}/", {"graph": calling(flow.id, "map")}, format="json")
    assert response.status_code == 200
    (problem,) = response.json()["problems"]
    assert problem["node_id"] == "call"
    assert "'Loop' → 'Loop'" in problem["message"]
    run = client.post(f"/api/flows/{flow.id}/runs/", {}, format="json")
    assert run.status_code == 400 and run.json()["errors"] == [problem]
    assert not Run.objects.exists()


@pytest.mark.django_db
def test_a_loop_through_other_flows_is_refused_on_the_flow_that_closes_it(alice):
    first = make_flow(alice, INPUT_ONLY, name="First")
    second = make_flow(alice, calling(first.id), name="Second")
    client = api_client(alice)
    closing = {"graph": graph(
        [node("in", "input"),
         node("agent", "agent", tools=[{"type": "flow", "flow": second.id, "name": "second"}])],
        [edge("in", "agent")],
    )}
    validated = client.post(f"/api/flows/{first.id}/validate/", closing, format="json").json()
    assert validated["valid"] is False
    assert [e["node_id"] for e in validated["errors"]] == ["agent"]
    assert "'First' → 'Second' → 'First'" in validated["errors"][0]["message"]
    saved = client.patch(f"/api/flows/{first.id}/", closing, format="json").json()
    assert saved["problems"] == validated["errors"]
    # A sub-flow node closes the loop just the same; a flow with no way back is fine.
    looping = client.patch(f"/api/flows/{first.id}/", {"graph": calling(second.id)}, format="json").json()
    assert [p["node_id"] for p in looping["problems"]] == ["call"]
    third = make_flow(alice, INPUT_ONLY, name="Third")
    assert client.patch(f"/api/flows/{first.id}/", {"graph": calling(third.id)}, format="json").json()["problems"] == []


@pytest.mark.django_db
def test_the_saved_draft_is_checked_by_validate_too(alice):
    flow = make_flow(alice, INPUT_ONLY, name="Loop")
    flow.graph = calling(flow.id)
    flow.save()  # as a flow saved before the check existed
    validated = api_client(alice).post(f"/api/flows/{flow.id}/validate/", {}, format="json").json()
    assert validated["valid"] is False and validated["errors"][0]["node_id"] == "call"


@pytest.mark.worker
def test_a_map_calling_itself_stops_at_the_child_run_limit(running, alice, settings, monkeypatch):
    """The attack: a map that calls its own flow for each of 8 items, 8 at a time, would make
    8 + 64 + 512 + ... runs; the session worker allows 200 per top-level run."""
    # Past the start's check too, as a run started before it existed: the limit still holds.
    monkeypatch.setattr("runs.services.check_outside_problems", lambda flow, graph: [])
    flow = make_flow(alice, INPUT_ONLY, name="Fan")
    # Eight copies of its own inputs, each the inputs of a child run of this same flow.
    flow.graph = graph(
        [node("in", "input"),
         node("copies", "transform", expression="[@, @, @, @, @, @, @, @]"),
         node("fan", "map", flow=flow.id, concurrency=8),
         node("out", "output")],
        [edge("in", "copies"), edge("copies", "fan"), edge("fan", "out")],
    )
    flow.save()  # past the save check, as a flow saved before it existed
    run = wait_for_run(start(flow, alice, {}), timeout=120)
    assert run.status == engine.FAILED
    made = Run.objects.filter(root_run=run).count()
    assert made <= 200
    failures = [
        child.error["message"] for child in Run.objects.filter(root_run=run, status=engine.FAILED)
        if child.error
    ]
    assert any("BATON_MAX_CHILD_RUNS" in message for message in failures + [run.error["message"]]), (made, run.error, failures[:3])
