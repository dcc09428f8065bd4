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


# --- Drafts: saved with their problems; runs and versions refuse them ---------------------------
# A new user's half-built flow: one URL not filled in yet.
HALF_BUILT = graph(
    [node("n1", "input"), node("n2", "http", url=""), node("n3", "template", template="{{ input.body }}"),
     node("n4", "output", key="result")],
    [edge("n1", "n2"), edge("n2", "n3"), edge("n3", "n4")],
)
EMPTY_URL = {"node_id": "n2", "message": "config.url: String should have at least 1 character"}


def test_a_half_built_flow_is_saved_and_reloads_with_its_one_problem(alice_api, flow):
    response = alice_api.put(f"/api/flows/{flow.id}/", {"name": "Fetcher", "graph": HALF_BUILT, "revision": 1},
                             format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["problems"] == [EMPTY_URL]
    assert response.json()["revision"] == 2
    reloaded = alice_api.get(f"/api/flows/{flow.id}/").json()
    assert reloaded["graph"] == HALF_BUILT
    assert reloaded["problems"] == [EMPTY_URL]
    validated = alice_api.post(f"/api/flows/{flow.id}/validate/", {}, format="json").json()
    assert validated == {"valid": False, "errors": [EMPTY_URL]}


def test_a_good_flow_has_no_problems(alice_api, flow):
    assert alice_api.get(f"/api/flows/{flow.id}/").json()["problems"] == []


def test_a_new_flow_is_created_with_its_problems_and_keeps_whatever_is_drawn(alice_api):
    drawn = graph(
        [node("a", "input"), node("b", "nonsense"), node("c", "merge"), node("d", "template")],
        [edge("a", "ghost"), edge("a", "c"), edge("c", "d"), edge("d", "c"), edge("b", "d", target_handle="side")],
    )
    response = alice_api.post("/api/flows/", {"name": "Sketch", "graph": drawn}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["problems"] == [
        {"node_id": "b", "message": "unknown node type 'nonsense'"},
        {"edge_id": "a.out->ghost.in", "message": "edge target 'ghost' is not a node of this graph"},
        {"edge_id": "b.out->d.side", "message": "node 'd' (template) has no input handle 'side'; it has: in"},
        {"edge_id": "d.out->c.in",
         "message": "a cycle through c → d → c: a flow runs each node once; remove one edge of the cycle"},
    ]
    saved = Flow.objects.get(pk=response.json()["id"])
    assert [n["id"] for n in saved.graph["nodes"]] == ["a", "b", "c", "d"]
    assert len(saved.graph["edges"]) == 5


def test_running_or_publishing_a_draft_with_problems_is_refused_naming_them(alice_api, flow):
    from flows.models import FlowVersion
    from runs.models import Run

    alice_api.put(f"/api/flows/{flow.id}/", {"name": "Fetcher", "graph": HALF_BUILT}, format="json")
    run = alice_api.post(f"/api/flows/{flow.id}/runs/", {"inputs": {}}, format="json")
    assert run.status_code == 400
    assert run.json() == {"error": "the graph is invalid", "errors": [EMPTY_URL]}
    published = alice_api.post(f"/api/flows/{flow.id}/versions/", {}, format="json")
    assert published.status_code == 400
    assert published.json()["errors"] == [EMPTY_URL]
    assert not Run.objects.exists() and not FlowVersion.objects.exists()


@pytest.mark.parametrize(
    "bad_graph",
    [
        "a string",
        {"nodes": [{"id": 3, "type": "input"}], "edges": []},
        {"nodes": [node("a", "input"), node("a", "output")], "edges": []},
        {"nodes": [node("a", "input")], "edges": [{"id": "e", "source": ["a"], "target": "a"}]},
        {"nodes": [node("a", "input")], "edges": "none"},
    ],
)
def test_what_is_not_a_graph_is_refused_and_the_saved_draft_is_kept(alice_api, flow, bad_graph):
    response = alice_api.patch(f"/api/flows/{flow.id}/", {"graph": bad_graph}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "the graph is invalid" and response.json()["errors"]
    saved = Flow.objects.get(pk=flow.pk)
    assert saved.graph == flow.graph and saved.revision == 1


def test_a_viewer_cannot_save_even_a_draft(flow, bob, bob_api):
    join(bob, flow.team, "viewer")
    response = bob_api.put(f"/api/flows/{flow.id}/", {"name": "x", "graph": HALF_BUILT}, format="json")
    assert response.status_code == 403
    assert Flow.objects.get(pk=flow.pk).revision == 1


# --- References to what the team may not use ------------------------------------------------


def test_another_teams_credential_knowledge_base_or_flow_is_a_problem_on_the_node(alice_api, flow, bob, bob_team):
    from tests.ai import make_credential, make_knowledge_base

    theirs = {
        "credential": make_credential(bob_team, bob).pk,
        "knowledge_base": make_knowledge_base(bob_team, bob).pk,
        "flow": make_flow(bob, GOOD, name="Bob's").pk,
    }
    drawn = graph(
        [node("in", "input"), node("llm", "llm", credential=theirs["credential"], model="m"),
         node("kb", "retrieve", knowledge_base=theirs["knowledge_base"]),
         node("sub", "subflow", flow=theirs["flow"]), node("gone", "subflow", flow=999_999),
         node("out", "output")],
        [edge("in", "llm"), edge("llm", "kb"), edge("kb", "sub"), edge("sub", "gone"), edge("gone", "out")],
    )
    response = alice_api.put(f"/api/flows/{flow.id}/", {"name": "Borrowed", "graph": drawn}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["problems"] == [
        {"node_id": "llm", "message": f"credential #{theirs['credential']} is not available in this team: "
                                      "choose one of the team's credentials"},
        {"node_id": "kb", "message": f"knowledge base #{theirs['knowledge_base']} is not available in this "
                                     "team: choose one of the team's knowledge bases"},
        {"node_id": "sub", "message": f"flow #{theirs['flow']} is not available in this team: "
                                      "choose one of the team's flows"},
        # One that exists nowhere reads the same: nothing is told of other teams.
        {"node_id": "gone", "message": "flow #999999 is not available in this team: choose one of the team's flows"},
    ]
    assert alice_api.post(f"/api/flows/{flow.id}/runs/", {}, format="json").status_code == 400


def test_choosing_the_teams_own_object_clears_the_problem(alice, alice_api, alice_team, flow, bob, bob_team):
    from tests.ai import make_credential

    drawn = graph([node("in", "input"), node("llm", "llm", credential=make_credential(bob_team, bob).pk, model="m"),
                   node("out", "output")], [edge("in", "llm"), edge("llm", "out")])
    first = alice_api.put(f"/api/flows/{flow.id}/", {"name": "x", "graph": drawn}, format="json").json()
    assert [p["node_id"] for p in first["problems"]] == ["llm"]
    drawn["nodes"][1]["data"]["config"]["credential"] = make_credential(alice_team, alice).pk
    second = alice_api.put(f"/api/flows/{flow.id}/", {"name": "x", "graph": drawn}, format="json").json()
    assert second["problems"] == []


def test_a_flow_moved_to_another_team_shows_the_credentials_it_left_behind(alice, alice_api, alice_team, bob, bob_team):
    from tests.ai import make_credential

    join(alice, bob_team, "editor")
    credential = make_credential(alice_team, alice)
    moved = make_flow(alice, graph([node("in", "input"), node("llm", "llm", credential=credential.pk, model="m"),
                                    node("out", "output")], [edge("in", "llm"), edge("llm", "out")]))
    assert alice_api.get(f"/api/flows/{moved.id}/").json()["problems"] == []
    response = alice_api.patch(f"/api/flows/{moved.id}/", {"team": bob_team.id}, format="json")
    assert response.status_code == 200, response.json()
    assert [p["node_id"] for p in response.json()["problems"]] == ["llm"]
    validated = alice_api.post(f"/api/flows/{moved.id}/validate/", {}, format="json").json()
    assert validated["valid"] is False and validated["errors"] == response.json()["problems"]


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
