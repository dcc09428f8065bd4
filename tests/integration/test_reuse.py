"""Not paying twice: pinned outputs, running from a node with the rest reused, and resuming a
failed run. Alice builds flows that call a local HTTP server which counts what it is asked;
a node that is pinned or reused must not reach it."""

from __future__ import annotations

import uuid

from django.test import override_settings
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import personal_team
from flows.models import FlowVersion
from runs.core import engine
from runs.models import NodeRun, Run
from tests.conftest import api_client, join
from tests.helpers import asked, edge, graph, make_flow, node, nodes_of, signed_in, wait_for_run
from tests.services import EventRecorder

# What the last http node answered: the step it asked for (/json), or the attempt (/flaky).
STEP_OR_ATTEMPT = "{{ input.body.query.step if 'query' in input.body else input.body.attempt }}!"


def chain(http_server, *steps: str, fail_key: str | None = None, pins: dict | None = None) -> dict:
    """input → one http node per step (GET /json?step=…) → t (a template) → output. With
    `fail_key`, the last step calls /flaky instead: its first call answers 503."""
    nodes = [node("in", "input", key="name")]
    edges = []
    previous = "in"
    for index, step in enumerate(steps):
        url = f"{http_server.url}/json?step={step}"
        if fail_key and index == len(steps) - 1:
            url = f"{http_server.url}/flaky?key={fail_key}&fail=1&step={step}"
        nodes.append(node(step, "http", url=url, method="GET"))
        edges.append(edge(previous, step))
        previous = step
    nodes += [node("t", "template", template=STEP_OR_ATTEMPT), node("out", "output", key="result")]
    edges += [edge(previous, "t"), edge("t", "out")]
    for node_id, output in (pins or {}).items():
        next(n for n in nodes if n["id"] == node_id)["data"]["pinned"] = {"output": output}
    return graph(nodes, edges)


def run_of(response) -> Run:
    assert response.status_code == 201, response.content
    return wait_for_run(response.json()["id"])


PINNED_REPLY = {"status": 200, "headers": {}, "body": {"query": {"step": "pinned"}}}


# --- Pinned outputs ---------------------------------------------------------------------------


def test_it_uses_a_pinned_output_instead_of_calling_the_server(running, alice, http_server):
    flow = make_flow(alice, chain(http_server, "fetch", pins={"fetch": PINNED_REPLY}))
    run = run_of(signed_in(alice).post(f"/api/flows/{flow.id}/runs/", {"inputs": {}}, format="json"))
    assert run.status == engine.SUCCEEDED
    assert asked(http_server, "fetch") == 0 and http_server.requests == []
    assert run.outputs == {"result": "pinned!"}
    fetch = nodes_of(run)["fetch"]
    assert (fetch.status, fetch.source, fetch.attempts, fetch.output) == ("succeeded", "pinned", 0, PINNED_REPLY)
    shown = signed_in(alice).get(f"/api/runs/{run.id}/").json()
    by_id = {n["node_id"]: n for n in shown["nodes"]}
    assert (by_id["fetch"]["source"], by_id["fetch"]["source_run"]) == ("pinned", None)
    assert (by_id["t"]["source"], by_id["t"]["status"]) == (None, "succeeded")


def test_a_pinned_node_says_so_in_its_events(running, alice, http_server):
    # A delay first, so that the recorder listens before the pinned node completes.
    g = graph(
        [node("in", "input"), node("wait", "delay", seconds=0.5),
         node("fetch", "http", url=f"{http_server.url}/json?step=fetch"), node("out", "output")],
        [edge("in", "wait"), edge("wait", "fetch"), edge("fetch", "out")],
    )
    g["nodes"][2]["data"]["pinned"] = {"output": {"body": 1}}
    flow = make_flow(alice, g)
    response = signed_in(alice).post(f"/api/flows/{flow.id}/runs/", {}, format="json")
    with EventRecorder(response.json()["id"]) as recorder:
        events = recorder.wait_for(lambda es: any(
            e["type"] == "node.status" and e["node_id"] == "fetch" and e["status"] == "succeeded" for e in es
        ))
    done = next(e for e in events if e["type"] == "node.status" and e["node_id"] == "fetch")
    assert (done["source"], done["source_run"]) == ("pinned", None)
    assert asked(http_server, "fetch") == 0


def test_a_pin_is_refused_on_a_node_without_outputs_and_when_too_large(db, alice, http_server):
    flow = make_flow(alice, chain(http_server, "fetch"))
    client = signed_in(alice)
    g = chain(http_server, "fetch")
    next(n for n in g["nodes"] if n["id"] == "out")["data"]["pinned"] = {"output": 1}
    errors = client.post(f"/api/flows/{flow.id}/validate/", {"graph": g}, format="json").json()["errors"]
    assert {"node_id": "out", "message": "pinned: a output node has no output to pin"} in errors
    with override_settings(BATON_NODE_OUTPUT_MAX_BYTES=100):
        g = chain(http_server, "fetch", pins={"fetch": "x" * 200})
        # A draft with a problem is saved, the problem told on its node; it does not run.
        response = client.patch(f"/api/flows/{flow.id}/", {"graph": g}, format="json")
        assert response.status_code == 200
        assert {"node_id": "fetch", "message": "pinned: the output is 202 bytes; the limit is 100"} in (
            response.json()["problems"])
        started = client.post(f"/api/flows/{flow.id}/runs/", {"inputs": {}}, format="json")
    assert started.status_code == 400
    assert "pinned: the output is 202 bytes; the limit is 100" in str(started.json())


def test_publishing_leaves_pins_out_unless_asked_to_keep_them(db, alice, http_server):
    flow = make_flow(alice, chain(http_server, "fetch", pins={"fetch": PINNED_REPLY}))
    client = signed_in(alice)
    first = client.post(f"/api/flows/{flow.id}/versions/", {}, format="json")
    kept = client.post(f"/api/flows/{flow.id}/versions/", {"keep_pins": True}, format="json")
    assert first.status_code == kept.status_code == 201
    pinned = {v.number: [n["id"] for n in v.graph["nodes"] if "pinned" in n["data"]]
              for v in FlowVersion.objects.filter(flow=flow)}
    assert pinned == {1: [], 2: ["fetch"]}
    flow.refresh_from_db()
    assert "pinned" in next(n for n in flow.graph["nodes"] if n["id"] == "fetch")["data"]  # the draft keeps it


# --- Run from here ----------------------------------------------------------------------------


def test_run_from_here_executes_only_the_node_and_what_follows(running, alice, http_server):
    flow = make_flow(alice, chain(http_server, "a", "b"))
    client = signed_in(alice)
    first = run_of(client.post(f"/api/flows/{flow.id}/runs/", {"inputs": {"name": "x"}}, format="json"))
    assert (first.status, asked(http_server, "a"), asked(http_server, "b")) == ("succeeded", 1, 1)

    again = run_of(client.post(
        f"/api/flows/{flow.id}/runs/", {"from_node": "b", "reuse_run": str(first.id)}, format="json"
    ))
    assert again.status == engine.SUCCEEDED
    assert (asked(http_server, "a"), asked(http_server, "b")) == (1, 2)
    nodes = nodes_of(again)
    assert {n: (nodes[n].source, nodes[n].source_run_id) for n in ("in", "a")} == {
        "in": ("reused", first.id), "a": ("reused", first.id)}
    assert [nodes[n].source for n in ("b", "t", "out")] == [None, None, None]
    assert nodes["a"].output == nodes_of(first)["a"].output
    assert again.outputs == {"result": "b!"}

    # Without reuse_run, the latest run is reused: a reused output keeps naming the run that
    # computed it.
    third = run_of(client.post(f"/api/flows/{flow.id}/runs/", {"from_node": "t"}, format="json"))
    assert (asked(http_server, "a"), asked(http_server, "b")) == (1, 2)
    assert {n.node_id: str(n.source_run_id) for n in NodeRun.objects.filter(run=third, source="reused")} == {
        "in": str(first.id), "a": str(first.id), "b": str(again.id)}


def test_run_only_this_node_runs_nothing_downstream(running, alice, http_server):
    flow = make_flow(alice, chain(http_server, "a", "b", "c"))
    client = signed_in(alice)
    first = run_of(client.post(f"/api/flows/{flow.id}/runs/", {}, format="json"))
    only = run_of(client.post(
        f"/api/flows/{flow.id}/runs/",
        {"from_node": "b", "reuse_run": str(first.id), "only_node": True}, format="json",
    ))
    assert only.status == engine.SUCCEEDED
    assert [asked(http_server, s) for s in ("a", "b", "c")] == [1, 2, 1]
    nodes = nodes_of(only)
    assert sorted(nodes) == ["a", "b", "in"]
    assert (nodes["a"].source, nodes["b"].source, nodes["b"].status) == ("reused", None, "succeeded")


def test_run_from_a_pinned_node_executes_it(running, alice, http_server):
    flow = make_flow(alice, chain(http_server, "a", pins={"a": PINNED_REPLY}))
    client = signed_in(alice)
    first = run_of(client.post(f"/api/flows/{flow.id}/runs/", {}, format="json"))
    assert asked(http_server, "a") == 0
    again = run_of(client.post(f"/api/flows/{flow.id}/runs/", {"from_node": "a"}, format="json"))
    assert asked(http_server, "a") == 1 and again.outputs == {"result": "a!"}
    assert first.outputs == {"result": "pinned!"}


def test_run_from_here_is_refused_for_bad_requests(db, alice, bob, http_server):
    flow = make_flow(alice, chain(http_server, "a"))
    other_flow = make_flow(alice, chain(http_server, "a"), name="Another")
    bobs_flow = make_flow(bob, chain(http_server, "a"))
    client = signed_in(alice)
    url = f"/api/flows/{flow.id}/runs/"
    assert client.post(url, {"from_node": "a"}, format="json").json()["fields"]["reuse_run"] == (
        "the flow has no earlier run to reuse outputs from")
    mine = Run.objects.create(team=flow.team, flow=other_flow, status="succeeded", graph=other_flow.graph)
    bobs = Run.objects.create(team=bobs_flow.team, flow=bobs_flow, status="succeeded", graph=bobs_flow.graph)
    another = client.post(url, {"from_node": "a", "reuse_run": str(mine.id)}, format="json")
    assert another.status_code == 400
    assert another.json()["fields"]["reuse_run"] == "that run is a run of another flow; reuse a run of this one"
    strangers = client.post(url, {"from_node": "a", "reuse_run": str(bobs.id)}, format="json")
    assert strangers.status_code == 404 and "no such run" in strangers.json()["error"]
    theirs = Run.objects.create(team=flow.team, flow=flow, status="succeeded", graph=flow.graph)
    missing = client.post(url, {"from_node": "nope", "reuse_run": str(theirs.id)}, format="json")
    assert missing.status_code == 400 and "no node 'nope'" in missing.json()["fields"]["from_node"]
    alone = client.post(url, {"reuse_run": str(theirs.id)}, format="json")
    assert alone.status_code == 400 and "from_node" in alone.json()["fields"]["reuse_run"]
    assert Run.objects.filter(flow=flow).count() == 1  # nothing was started


# --- Resume -----------------------------------------------------------------------------------


def test_resume_re_executes_only_the_failed_node_and_what_follows(running, alice, http_server):
    key = uuid.uuid4().hex
    flow = make_flow(alice, chain(http_server, "a", "b", fail_key=key))
    client = signed_in(alice)
    failed = run_of(client.post(f"/api/flows/{flow.id}/runs/", {"inputs": {"name": "x"}}, format="json"))
    assert failed.status == engine.FAILED and nodes_of(failed)["b"].status == "failed"
    assert (asked(http_server, "a"), asked(http_server, "b")) == (1, 1)

    response = client.post(f"/api/runs/{failed.id}/resume/")
    assert response.status_code == 201, response.content
    assert response.json()["resumed_from"] == str(failed.id)
    resumed = wait_for_run(response.json()["id"])
    assert resumed.status == engine.SUCCEEDED, resumed.error
    assert (asked(http_server, "a"), asked(http_server, "b")) == (1, 2)
    assert (resumed.inputs, resumed.graph, resumed.resumed_from_id) == (failed.inputs, failed.graph, failed.id)
    nodes = nodes_of(resumed)
    assert {n: nodes[n].source for n in nodes} == {
        "in": "reused", "a": "reused", "b": None, "t": None, "out": None}
    assert nodes["a"].source_run_id == failed.id
    assert resumed.outputs == {"result": "2!"}  # the second call /flaky had


def test_resume_refuses_runs_still_going_and_runs_that_succeeded(running, alice, http_server):
    flow = make_flow(alice, graph([node("in", "input"), node("slow", "http", url=f"{http_server.url}/slow?seconds=2")],
                                  [edge("in", "slow")]))
    client = signed_in(alice)
    going = client.post(f"/api/flows/{flow.id}/runs/", {}, format="json").json()["id"]
    refused = client.post(f"/api/runs/{going}/resume/")
    assert refused.status_code == 409 and "still" in refused.json()["error"]
    assert wait_for_run(going).status == engine.SUCCEEDED
    done = client.post(f"/api/runs/{going}/resume/")
    assert done.status_code == 400 and done.json()["fields"]["run"] == "the run succeeded: there is nothing to resume"
    assert Run.objects.filter(flow=flow).count() == 1


def test_who_may_resume(db, alice, bob, http_server):
    flow = make_flow(alice, chain(http_server, "a"))
    other = make_flow(alice, chain(http_server, "a"), name="Other")
    failed = Run.objects.create(team=flow.team, flow=flow, status="failed", graph=flow.graph)
    url = f"/api/runs/{failed.id}/resume/"
    # Bob, no member: the run does not exist for him. Then a viewer of Alice's team: 403.
    assert signed_in(bob).post(url).status_code == 404
    join(bob, personal_team(alice), "viewer")
    viewer = signed_in(bob).post(url)
    assert viewer.status_code == 403 and "runs.start" in viewer.json()["error"]
    # Alice's key limited to another flow does not see this run; a read-only key may not.
    key, raw = ApiKey.issue(alice, "other flow only")
    key.flow_limited = True
    key.save()
    key.flows.set([other])
    limited = APIClient()
    limited.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert limited.post(url).status_code == 404
    read_only = api_client(alice, scopes=["flows:read"])
    assert read_only.post(url).status_code == 403
    assert Run.objects.count() == 1
