"""Publishing numbered versions, reading, comparing and restoring them, and which version a
run runs: programs the latest published, the editor its draft."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from flows.models import Flow, FlowVersion
from runs.models import Run
from tests.conftest import api_client, join
from tests.helpers import edge, graph, make_flow, node

V1 = graph([node("in", "input"), node("t", "template", template="one"), node("out", "output")],
           [edge("in", "t"), edge("t", "out")])
V2 = graph([node("in", "input"), node("t", "template", template="two"), node("x", "transform", expression="@"),
            node("out", "output")],
           [edge("in", "t"), edge("t", "x"), edge("x", "out")])


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def flow(alice) -> Flow:
    return make_flow(alice, V1, name="Versioned")


def publish(client, flow, note="", **extra):
    return client.post(f"/api/flows/{flow.id}/versions/", {"note": note, **extra}, format="json")


def save(client, flow, graph_):
    current = Flow.objects.get(pk=flow.pk)
    response = client.put(f"/api/flows/{flow.id}/",
                          {"name": current.name, "graph": graph_, "revision": current.revision}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def test_publishing_makes_numbered_immutable_versions_with_notes(alice_api, flow):
    first = publish(alice_api, flow, "first cut")
    assert first.status_code == 201
    body = first.json()
    assert (body["number"], body["note"], body["flow_revision"], body["created_by"]) == (1, "first cut", 1, "alice")
    assert body["graph"] == Flow.objects.get(pk=flow.pk).graph
    save(alice_api, flow, V2)
    second = publish(alice_api, flow, "second").json()
    assert (second["number"], second["flow_revision"]) == (2, 2)
    listed = alice_api.get(f"/api/flows/{flow.id}/versions/").json()
    assert [(v["number"], v["note"], v["node_count"]) for v in listed["results"]] == [(2, "second", 4), (1, "first cut", 3)]
    assert "graph" not in listed["results"][0]
    one = alice_api.get(f"/api/flows/{flow.id}/versions/1/").json()
    assert one["graph"]["nodes"][1]["data"]["config"]["template"] == "one"
    assert alice_api.get(f"/api/flows/{flow.id}/").json()["latest_version"] == 2
    assert alice_api.get("/api/flows/").json()["results"][0]["latest_version"] == 2


def test_publishing_a_stale_revision_is_a_conflict(alice_api, flow):
    save(alice_api, flow, V2)
    response = publish(alice_api, flow, revision=1)
    assert response.status_code == 409
    assert response.json()["updated_by"] == "alice" and response.json()["revision"] == 2
    assert not FlowVersion.objects.exists()


def test_an_unknown_version_is_404(alice_api, flow):
    response = alice_api.get(f"/api/flows/{flow.id}/versions/7/")
    assert response.status_code == 404
    assert response.json() == {"error": "the flow has no version 7"}
    assert alice_api.get(f"/api/flows/{flow.id}/versions/7/diff/draft/").status_code == 404
    assert alice_api.get(f"/api/flows/{flow.id}/versions/99999999999999999999/").status_code == 404


def test_it_compares_two_versions_or_a_version_and_the_draft(alice_api, flow):
    publish(alice_api, flow)
    save(alice_api, flow, V2)
    publish(alice_api, flow)
    diff = alice_api.get(f"/api/flows/{flow.id}/versions/1/diff/2/").json()
    assert diff["from"] == {"version": 1, "revision": 1, "label": "version 1"}
    assert diff["to"] == {"version": 2, "revision": 2, "label": "version 2"}
    assert [n["id"] for n in diff["nodes"]["added"]] == ["x"]
    assert [(c["id"], c["fields"]) for c in diff["nodes"]["changed"]] == [("t", ["data.config"])]
    assert {e["id"] for e in diff["edges"]["added"]} == {"t.out->x.in", "x.out->out.in"}
    assert [e["id"] for e in diff["edges"]["removed"]] == ["t.out->out.in"]
    assert alice_api.get(f"/api/flows/{flow.id}/versions/2/diff/draft/").json()["identical"] is True
    draft_side = alice_api.get(f"/api/flows/{flow.id}/versions/draft/diff/1/").json()["from"]
    assert draft_side == {"version": None, "revision": 2, "label": "draft"}


def test_restoring_makes_the_draft_equal_to_the_version_as_a_new_revision(alice_api, flow):
    publish(alice_api, flow)
    save(alice_api, flow, V2)
    response = alice_api.post(f"/api/flows/{flow.id}/versions/1/restore/", {"revision": 2}, format="json")
    assert response.status_code == 200
    assert response.json()["revision"] == 3
    saved = Flow.objects.get(pk=flow.pk)
    assert saved.graph == FlowVersion.objects.get(flow=flow, number=1).graph
    stale = alice_api.post(f"/api/flows/{flow.id}/versions/1/restore/", {"revision": 2}, format="json")
    assert stale.status_code == 409
    assert FlowVersion.objects.filter(flow=flow).count() == 1  # restoring publishes nothing


def test_viewers_read_versions_but_only_editors_publish_and_restore(alice, bob, flow):
    publish(api_client(alice), flow)
    join(bob, flow.team, "runner")
    runner = api_client(bob)
    assert runner.get(f"/api/flows/{flow.id}/versions/1/").status_code == 200
    assert publish(runner, flow).status_code == 403
    assert runner.post(f"/api/flows/{flow.id}/versions/1/restore/", {}, format="json").status_code == 403
    assert FlowVersion.objects.count() == 1


def test_an_invalid_draft_cannot_be_published(alice_api, flow):
    Flow.objects.filter(pk=flow.pk).update(graph=graph([node("o", "output")], []))
    response = publish(alice_api, flow)
    assert response.status_code == 400
    assert response.json()["errors"] == [{"node_id": "o", "message": "input 'in' must be connected"}]
    assert not FlowVersion.objects.exists()


# --- Which version a run runs -------------------------------------------------------------------


def started(client, flow, body=None) -> Run:
    response = client.post(f"/api/flows/{flow.id}/runs/", body or {}, format="json")
    assert response.status_code == 201, response.json()
    return Run.objects.get(pk=response.json()["id"])


def template_of(run: Run) -> str:
    return next(n for n in run.graph["nodes"] if n["id"] == "t")["data"]["config"]["template"]


def test_programs_run_the_draft_until_something_is_published(alice_api, flow):
    run = started(alice_api, flow)
    assert run.version is None and run.flow_revision == 1 and template_of(run) == "one"


def test_programs_run_the_latest_published_version_and_the_editor_its_draft(alice, alice_api, flow):
    publish(alice_api, flow)
    save(alice_api, flow, V2)  # a newer draft, not published
    by_program = started(alice_api, flow)
    assert by_program.version.number == 1 and by_program.flow_revision == 1
    assert template_of(by_program) == "one" and by_program.trigger == "api"
    by_editor = started(signed_in(alice), flow)
    assert by_editor.version is None and by_editor.flow_revision == 2
    assert template_of(by_editor) == "two" and by_editor.trigger == "editor"
    draft_graph = started(signed_in(alice), flow, {"graph": V1})
    assert draft_graph.version is None


def test_a_program_may_name_a_version_or_the_draft(alice_api, flow):
    publish(alice_api, flow)
    save(alice_api, flow, V2)
    publish(alice_api, flow)
    assert started(alice_api, flow, {"version": 1}).version.number == 1
    assert template_of(started(alice_api, flow, {"version": 1})) == "one"
    assert started(alice_api, flow, {"version": "draft"}).version is None
    body = alice_api.post(f"/api/flows/{flow.id}/runs/", {"version": 2}, format="json").json()
    assert body["version"] == 2 and body["flow_revision"] == 2


@pytest.mark.parametrize(
    "body, message",
    [
        ({"version": 9}, "version: the flow has no version 9"),
        ({"version": 0}, "version: must be a version number or 'draft'"),
        ({"version": "latest"}, "version: must be a version number or 'draft'"),
        ({"version": 1, "graph": V1}, "version: send either a draft graph or a version, not both"),
    ],
)
def test_a_bad_version_choice_is_a_400_and_starts_nothing(alice_api, flow, body, message):
    publish(alice_api, flow)
    response = alice_api.post(f"/api/flows/{flow.id}/runs/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == message
    assert not Run.objects.exists()
