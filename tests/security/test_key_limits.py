"""What a narrowly scoped API key can do: a key limited to flows stays limited when those
flows go, makes nothing outside them, and lists answer like details for every scope."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiKey
from knowledge.services import do_create_knowledge_base
from tests.helpers import edge, graph, make_flow, node, start

GOOD = graph([node("in", "input"), node("out", "output")], [edge("in", "out")])

pytestmark = pytest.mark.django_db


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def key_limited_to(user, team, flows, scopes=None) -> APIClient:
    body = {"name": "narrow", "team": team.id, "flows": [flow.id for flow in flows]}
    if scopes is not None:
        body["scopes"] = scopes
    created = signed_in(user).post("/api/api-keys/", body, format="json")
    assert created.status_code == 201, created.content
    return bearer(created.json()["key"])


def test_a_key_whose_only_flow_it_deleted_reaches_no_other_flow(alice, alice_team):
    mine = make_flow(alice, GOOD, name="mine")
    other = make_flow(alice, GOOD, name="other")
    start(other, alice)
    key = key_limited_to(alice, alice_team, [mine])
    assert key.delete(f"/api/flows/{mine.id}/").status_code == 204

    assert key.get("/api/flows/").json()["results"] == []
    assert key.get(f"/api/flows/{other.id}/").status_code == 404
    assert key.patch(f"/api/flows/{other.id}/", {"name": "taken"}, format="json").status_code == 404
    assert key.post(f"/api/flows/{other.id}/runs/", {}, format="json").status_code == 404
    assert key.get("/api/runs/").json()["results"] == []
    assert key.get(f"/api/runs/?flow={other.id}").json()["results"] == []
    other.refresh_from_db()
    assert other.name == "other"


def test_a_key_whose_flow_someone_else_deleted_reaches_nothing(alice, alice_team):
    mine = make_flow(alice, GOOD, name="mine")
    other = make_flow(alice, GOOD, name="other")
    key = key_limited_to(alice, alice_team, [mine])
    mine.delete()
    assert key.get(f"/api/flows/{other.id}/").status_code == 404
    assert key.get("/api/flows/").json()["results"] == []
    listed = signed_in(alice).get("/api/api-keys/").json()
    assert [(k["flows"], k["limited_to_flows"]) for k in listed] == [([], True)]


def test_a_flow_limited_key_creates_nothing_outside_its_flows(alice, alice_team):
    mine = make_flow(alice, GOOD, name="mine")
    key = key_limited_to(alice, alice_team, [mine])

    made = key.post("/api/flows/", {"name": "new", "graph": GOOD}, format="json")
    assert made.status_code == 403
    assert "limited to some flows" in made.json()["error"]
    assert key.post("/api/knowledge-bases/", {"name": "kb"}, format="json").status_code == 403
    assert key.post(f"/api/flows/{mine.id}/copy/", {}, format="json").status_code == 403
    assert alice_team.flows.count() == 1
    assert alice_team.knowledge_bases.count() == 0
    # Inside its flow it still works.
    assert key.patch(f"/api/flows/{mine.id}/", {"name": "renamed"}, format="json").status_code == 200


def test_a_flow_limited_key_sees_no_team_wide_objects(alice, alice_team):
    mine = make_flow(alice, GOOD, name="mine")
    base = do_create_knowledge_base(team=alice_team, user=alice, name="Handbook")
    key = key_limited_to(alice, alice_team, [mine])
    assert key.get("/api/knowledge-bases/").json() == []
    assert key.get(f"/api/knowledge-bases/{base.id}/").status_code == 404
    assert key.get("/api/credentials/").json() == []


def test_lifting_the_limit_with_an_empty_list_reaches_the_team_again(alice, alice_team):
    mine = make_flow(alice, GOOD, name="mine")
    other = make_flow(alice, GOOD, name="other")
    owner = signed_in(alice)
    created = owner.post(
        "/api/api-keys/", {"name": "k", "team": alice_team.id, "flows": [mine.id]}, format="json"
    ).json()
    key = bearer(created["key"])
    assert key.get(f"/api/flows/{other.id}/").status_code == 404
    changed = owner.patch(f"/api/api-keys/{created['id']}/", {"flows": []}, format="json")
    assert changed.json()["limited_to_flows"] is False
    assert key.get(f"/api/flows/{other.id}/").status_code == 200


@pytest.mark.parametrize(
    "scope, path",
    [
        ("runs:write", "/api/flows/"),
        ("flows:write", "/api/runs/"),
        ("runs:write", "/api/knowledge-bases/"),
        ("flows:read", "/api/credentials/"),
    ],
)
def test_lists_refuse_a_key_whose_scopes_do_not_allow_reading_them(alice, alice_team, scope, path):
    flow = make_flow(alice, GOOD)
    start(flow, alice)
    _key, raw = ApiKey.issue(alice, "scoped", team=alice_team, scopes=[scope])
    response = bearer(raw).get(path)
    assert response.status_code == 403, response.content
    assert "scopes do not allow" in response.json()["error"]


@pytest.mark.parametrize(
    "scope, path, detail",
    [
        ("flows:read", "/api/flows/", "/api/flows/{flow}/"),
        ("flows:write", "/api/flows/", "/api/flows/{flow}/"),
        ("flows:read", "/api/runs/", "/api/runs/{run}/"),
        ("runs:write", "/api/runs/", "/api/runs/{run}/"),
    ],
)
def test_lists_and_details_answer_alike_for_allowed_scopes(alice, alice_team, scope, path, detail):
    flow = make_flow(alice, GOOD)
    run = start(flow, alice)
    _key, raw = ApiKey.issue(alice, "scoped", team=alice_team, scopes=[scope])
    client = bearer(raw)
    assert client.get(path).status_code == 200
    assert client.get(detail.format(flow=flow.id, run=run.id)).status_code == 200
