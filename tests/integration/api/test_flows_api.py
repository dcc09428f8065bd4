"""The flows API: saving, revisions, validation, and what others may not touch."""

from __future__ import annotations

import json

import pytest

from flows.models import Flow
from tests.conftest import api_client, join
from tests.helpers import chain_graph, edge, graph, make_flow, node

GOOD = graph([node("in", "input"), node("out", "output")], [edge("in", "out")])


@pytest.fixture
def flow(alice):
    return make_flow(alice, GOOD, name="Greeter")


def test_it_creates_a_flow_in_the_personal_team_by_default(alice_api, alice_team):
    response = alice_api.post("/api/flows/", {"name": "New", "graph": GOOD}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["team"] == alice_team.id
    assert body["revision"] == 1
    assert body["created_by"] == "alice"
    assert body["graph"]["edges"][0]["targetHandle"] == "in"


def test_it_lists_only_the_callers_flows(alice_api, flow, bob):
    make_flow(bob, GOOD, name="Bob's")
    names = [f["name"] for f in alice_api.get("/api/flows/").json()["results"]]
    assert names == ["Greeter"]
    assert "graph" not in alice_api.get("/api/flows/").json()["results"][0]


def test_it_filters_by_team_and_refuses_a_bad_team_filter(alice_api, flow, alice_team):
    assert alice_api.get(f"/api/flows/?team={alice_team.id}").json()["count"] == 1
    assert alice_api.get("/api/flows/?team=999999").json()["count"] == 0
    response = alice_api.get("/api/flows/?team=abc")
    assert response.status_code == 400
    assert "team: must be a whole number" in response.json()["error"]


def test_a_save_raises_the_revision_and_a_stale_save_answers_409_without_changes(alice_api, flow):
    first = alice_api.patch(f"/api/flows/{flow.id}/", {"name": "Renamed", "revision": 1}, format="json")
    assert first.status_code == 200 and first.json()["revision"] == 2
    stale = alice_api.patch(f"/api/flows/{flow.id}/", {"name": "Mine", "revision": 1}, format="json")
    assert stale.status_code == 409
    body = stale.json()
    assert body["updated_by"] == "alice" and body["revision"] == 2
    assert "revision 2" in body["error"] and body["updated_at"]
    assert Flow.objects.get(pk=flow.pk).name == "Renamed"


def test_put_replaces_the_flow_and_needs_its_graph(alice_api, flow):
    response = alice_api.put(f"/api/flows/{flow.id}/", {"name": "Only name"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "graph: PUT replaces the flow: send its graph"
    ok = alice_api.put(f"/api/flows/{flow.id}/", {"name": "Whole", "graph": chain_graph(2)}, format="json")
    assert ok.status_code == 200
    assert len(ok.json()["graph"]["nodes"]) == 4


def test_an_invalid_graph_is_refused_with_every_problem_and_nothing_changes(alice_api, flow):
    bad = graph(
        [node("a", "input"), node("b", "nonsense"), node("c", "merge"), node("d", "template")],
        [edge("a", "ghost"), edge("c", "d"), edge("d", "c")],
    )
    response = alice_api.patch(f"/api/flows/{flow.id}/", {"graph": bad}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "the graph is invalid"
    assert {"node_id": "b", "message": "unknown node type 'nonsense'"} in body["errors"]
    assert any(e.get("edge_id") == "a.out->ghost.in" for e in body["errors"])
    assert sum("cycle" in e["message"] for e in body["errors"]) == 2
    saved = Flow.objects.get(pk=flow.pk)
    assert saved.graph == flow.graph and saved.revision == 1


def test_validate_checks_a_draft_or_the_saved_graph(alice_api, flow):
    assert alice_api.post(f"/api/flows/{flow.id}/validate/", {}, format="json").json() == {"valid": True, "errors": []}
    draft = graph([node("o", "output")], [])
    result = alice_api.post(f"/api/flows/{flow.id}/validate/", {"graph": draft}, format="json").json()
    assert result == {"valid": False, "errors": [{"node_id": "o", "message": "input 'in' must be connected"}]}


@pytest.mark.parametrize(
    "body, content_type, message",
    [
        ("{not json", "application/json", "JSON parse error"),
        (json.dumps({"name": 5, "graph": GOOD}), "application/json", None),
        (json.dumps({"name": "x", "graph": "a string"}), "application/json", "the graph is invalid"),
        (json.dumps({"name": "x", "graph": {"nodes": [{"id": 3}], "edges": []}}), "application/json", "the graph is invalid"),
        (json.dumps(["a", "list"]), "application/json", None),
        (json.dumps({"name": ""}), "application/json", "name"),
        (json.dumps({"name": "x" * 500}), "application/json", "name"),
    ],
)
def test_bad_input_gets_a_clear_4xx(alice_api, body, content_type, message):
    response = alice_api.generic("POST", "/api/flows/", body, content_type=content_type)
    assert 400 <= response.status_code < 500, response.content
    payload = response.json()
    assert payload["error"]
    if message:
        assert message in payload["error"] or message in json.dumps(payload)


def test_a_10000_node_graph_is_refused_clearly(alice_api, flow):
    huge = graph([node(f"n{i}", "input") for i in range(10_000)], [])
    response = alice_api.patch(f"/api/flows/{flow.id}/", {"graph": huge}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "the graph has 10000 nodes; the limit is 2000"
    assert Flow.objects.get(pk=flow.pk).revision == 1


def test_a_10_megabyte_body_answers_413(alice_api, flow):
    body = json.dumps({"name": "big", "description": "x" * (10 * 1024 * 1024)})
    response = alice_api.generic("PATCH", f"/api/flows/{flow.id}/", body, content_type="application/json")
    assert response.status_code == 413
    assert "larger than the limit" in response.json()["error"]
    assert Flow.objects.get(pk=flow.pk).name == "Greeter"


def test_other_teams_flows_answer_404_and_stay_untouched(flow, bob_api):
    for method in ("get", "put", "patch", "delete"):
        response = getattr(bob_api, method)(f"/api/flows/{flow.id}/", {"name": "mine", "graph": GOOD}, format="json")
        assert response.status_code == 404, method
        assert response.json() == {"error": "no such flow"}
    assert bob_api.post(f"/api/flows/{flow.id}/validate/", {}, format="json").status_code == 404
    assert bob_api.post(f"/api/flows/{flow.id}/runs/", {}, format="json").status_code == 404
    saved = Flow.objects.get(pk=flow.pk)
    assert saved.name == "Greeter" and saved.revision == 1


def test_nobody_may_create_a_flow_in_a_team_they_are_not_in(bob_api, alice_team):
    response = bob_api.post("/api/flows/", {"name": "sneaky", "team": alice_team.id}, format="json")
    assert response.status_code == 404
    assert not Flow.objects.filter(name="sneaky").exists()


@pytest.mark.parametrize(
    "role, read, write, delete",
    [("viewer", 200, 403, 403), ("runner", 200, 403, 403), ("editor", 200, 200, 204), ("owner", 200, 200, 204)],
)
def test_roles_decide_what_members_may_do(flow, bob, bob_api, role, read, write, delete):
    join(bob, flow.team, role)
    assert bob_api.get(f"/api/flows/{flow.id}/").status_code == read
    assert bob_api.patch(f"/api/flows/{flow.id}/", {"name": "edited"}, format="json").status_code == write
    response = bob_api.delete(f"/api/flows/{flow.id}/")
    assert response.status_code == delete
    if delete == 403:
        assert "does not allow flows.write" in response.json()["error"]
        assert Flow.objects.filter(pk=flow.pk).exists()


def test_a_key_without_write_scope_may_read_but_not_write(alice, flow):
    client = api_client(alice, scopes=["flows:read"])
    assert client.get(f"/api/flows/{flow.id}/").status_code == 200
    response = client.patch(f"/api/flows/{flow.id}/", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert "scopes do not allow flows.write" in response.json()["error"]


def test_requests_without_valid_credentials_are_refused(client, flow):
    assert client.get("/api/flows/").status_code in (401, 403)
    bad = api_client()
    bad.credentials(HTTP_AUTHORIZATION="Bearer bt_wrong-wrong-wrong-wrong-wrong")
    response = bad.get("/api/flows/")
    assert response.status_code == 401
    assert response.json()["error"] == "the API key is unknown, revoked or expired"
    bad.credentials(HTTP_AUTHORIZATION="Basic abc")
    assert bad.get("/api/flows/").json()["error"] == "the Authorization header must be 'Bearer <api key>'"


def test_the_catalog_lists_node_types_with_schemas(alice_api):
    catalog = alice_api.get("/api/node-types/").json()
    types = {entry["type"] for entry in catalog}
    assert {"input", "output", "template", "transform", "condition", "merge", "http", "delay"} <= types


def test_me_lists_teams_with_roles(alice_api, alice_team, bob, bob_team):
    join(bob, alice_team, "viewer")
    me = alice_api.get("/api/me/").json()
    assert me["username"] == "alice"
    assert me["teams"] == [{"id": alice_team.id, "name": "alice's team", "personal": True, "role": "owner",
                            "capabilities": me["teams"][0]["capabilities"],
                            "key_scopes": ["flows:read", "runs:write", "flows:write"],
                            "created_at": me["teams"][0]["created_at"]}]
    assert "team.manage" in me["teams"][0]["capabilities"]
