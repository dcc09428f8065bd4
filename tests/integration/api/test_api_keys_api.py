"""API keys: made by people for themselves, per team, scoped no wider than their role,
optionally limited to flows and given an expiry; revoked keys fail at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import do_create_team
from tests.conftest import api_client, join
from tests.helpers import edge, graph, make_flow, node

GOOD = graph([node("in", "input"), node("out", "output")], [edge("in", "out")])


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def acme(alice):
    return do_create_team(alice, "Acme")


def test_it_creates_a_key_shows_the_secret_once_and_lists_it_without(alice, alice_team):
    client = signed_in(alice)
    response = client.post("/api/api-keys/", {"name": "CI"}, format="json")
    assert response.status_code == 201
    created = response.json()
    assert created["key"].startswith("bt_") and created["prefix"] == created["key"][:12]
    assert created["team"] == alice_team.id  # the personal team by default
    assert created["scopes"] == ["runs:write", "flows:read", "flows:write"]
    assert created["state"] == "active" and created["user"] == "alice"
    listed = client.get("/api/api-keys/").json()
    assert [k["name"] for k in listed] == ["CI"]
    assert "key" not in listed[0]
    assert client.get(f"/api/api-keys/{created['id']}/").json()["last_used_at"] is None
    assert bearer(created["key"]).get("/api/me/").json()["username"] == "alice"
    assert client.get(f"/api/api-keys/{created['id']}/").json()["last_used_at"] is not None


def test_a_key_works_only_in_its_team(alice, acme, alice_team):
    mine = make_flow(alice, GOOD, team=alice_team)
    theirs = make_flow(alice, GOOD, team=acme)
    raw = signed_in(alice).post("/api/api-keys/", {"name": "acme", "team": acme.id}, format="json").json()["key"]
    key = bearer(raw)
    assert key.get(f"/api/flows/{theirs.id}/").status_code == 200
    assert key.get(f"/api/flows/{mine.id}/").status_code == 404
    assert [f["id"] for f in key.get("/api/flows/").json()["results"]] == [theirs.id]


def test_scopes_cannot_exceed_the_role(alice, bob, acme):
    join(bob, acme, "runner")
    client = signed_in(bob)
    refused = client.post("/api/api-keys/", {"name": "x", "team": acme.id, "scopes": ["flows:write"]}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"] == "scopes: your role in Acme (runner) does not allow flows:write"
    default = client.post("/api/api-keys/", {"name": "x", "team": acme.id}, format="json").json()
    assert default["scopes"] == ["runs:write", "flows:read"]
    assert ApiKey.objects.filter(user=bob).count() == 1


def test_a_key_loses_what_its_users_role_loses(alice, bob, acme):
    flow = make_flow(alice, GOOD, team=acme)
    join(bob, acme, "editor")
    raw = signed_in(bob).post("/api/api-keys/", {"name": "x", "team": acme.id}, format="json").json()["key"]
    assert bearer(raw).patch(f"/api/flows/{flow.id}/", {"name": "renamed"}, format="json").status_code == 200
    acme.memberships.filter(user=bob).update(role="viewer")
    assert bearer(raw).patch(f"/api/flows/{flow.id}/", {"name": "again"}, format="json").status_code == 403
    acme.memberships.filter(user=bob).delete()
    assert bearer(raw).get(f"/api/flows/{flow.id}/").status_code == 404


@pytest.mark.parametrize(
    "body, message",
    [
        ({}, "name: This field is required."),
        ({"name": ""}, "name: This field may not be blank."),
        ({"name": "x", "scopes": ["admin"]}, 'scopes: "admin" is not a valid choice.'),
        ({"name": "x", "scopes": []}, "scopes: a key needs at least one scope"),
        ({"name": "x", "scopes": "flows:read"}, 'scopes: Expected a list of items but got type "str".'),
        ({"name": "x", "flows": [999999]}, "flows: the team has no flow 999999"),
        ({"name": "x", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at: must be in the future"),
        ({"name": "x", "expires_at": "soon"}, "expires_at: Datetime has wrong format."),
        ({"name": "x", "team": 99999999}, "no such team"),
    ],
)
def test_bad_key_requests_get_a_clear_4xx_and_make_no_key(alice, body, message):
    response = signed_in(alice).post("/api/api-keys/", body, format="json")
    assert 400 <= response.status_code < 500
    assert response.json()["error"].startswith(message)
    assert not ApiKey.objects.exists()


def test_a_revoked_key_fails_at_once(alice):
    client = signed_in(alice)
    created = client.post("/api/api-keys/", {"name": "short-lived"}, format="json").json()
    key = bearer(created["key"])
    assert key.get("/api/flows/").status_code == 200
    assert client.delete(f"/api/api-keys/{created['id']}/").status_code == 204
    response = key.get("/api/flows/")
    assert response.status_code == 401
    assert response.json()["error"] == "the API key is unknown, revoked or expired"
    assert client.get("/api/api-keys/").json() == []
    revoked = client.get("/api/api-keys/?revoked=true").json()
    assert revoked[0]["state"] == "revoked" and revoked[0]["revoked_at"]
    assert client.delete(f"/api/api-keys/{created['id']}/").status_code == 204  # twice is fine
    assert client.patch(f"/api/api-keys/{created['id']}/", {"name": "back"}, format="json").status_code == 409


def test_an_expired_key_fails(alice):
    client = signed_in(alice)
    soon = timezone.now() + timedelta(seconds=30)
    created = client.post("/api/api-keys/", {"name": "x", "expires_at": soon.isoformat()}, format="json").json()
    assert bearer(created["key"]).get("/api/me/").status_code == 200
    ApiKey.objects.filter(pk=created["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(created["key"]).get("/api/me/").status_code == 401
    assert client.get(f"/api/api-keys/{created['id']}/").json()["state"] == "expired"


def test_a_key_limited_to_flows_sees_only_those(alice):
    one, other = make_flow(alice, GOOD, name="one"), make_flow(alice, GOOD, name="other")
    created = signed_in(alice).post("/api/api-keys/", {"name": "one only", "flows": [one.id]}, format="json").json()
    assert created["flows"] == [one.id]
    key = bearer(created["key"])
    assert key.get(f"/api/flows/{one.id}/").status_code == 200
    assert key.get(f"/api/flows/{other.id}/").status_code == 404
    assert [f["name"] for f in key.get("/api/flows/").json()["results"]] == ["one"]


def test_a_key_is_renamed_rescoped_and_relimited(alice):
    flow = make_flow(alice, GOOD)
    client = signed_in(alice)
    created = client.post("/api/api-keys/", {"name": "x"}, format="json").json()
    response = client.patch(
        f"/api/api-keys/{created['id']}/",
        {"name": "reader", "scopes": ["flows:read"], "flows": [flow.id]},
        format="json",
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["scopes"], response.json()["flows"]) == (
        "reader", ["flows:read"], [flow.id])
    assert bearer(created["key"]).patch(f"/api/flows/{flow.id}/", {"name": "y"}, format="json").status_code == 403


def test_keys_cannot_manage_keys(alice):
    key = api_client(alice)
    for method, path in [("get", "/api/api-keys/"), ("post", "/api/api-keys/"),
                         ("get", "/api/api-keys/1/"), ("delete", "/api/api-keys/1/")]:
        response = getattr(key, method)(path, {"name": "x"}, format="json")
        assert response.status_code == 403, path
        assert "API keys may not" in response.json()["error"]
    assert ApiKey.objects.count() == 1


def test_owners_see_and_revoke_their_teams_keys_but_not_others(alice, bob, carol, acme):
    join(bob, acme, "editor")
    join(carol, acme, "editor")
    bobs = signed_in(bob).post("/api/api-keys/", {"name": "bob's", "team": acme.id}, format="json").json()
    personal = signed_in(bob).post("/api/api-keys/", {"name": "bob's own"}, format="json").json()
    owner = signed_in(alice)
    assert [k["name"] for k in owner.get(f"/api/api-keys/?team={acme.id}").json()] == ["bob's"]
    assert owner.get(f"/api/api-keys/{personal['id']}/").status_code == 404
    # A fellow editor sees neither.
    assert signed_in(carol).get(f"/api/api-keys/{bobs['id']}/").status_code == 404
    assert signed_in(carol).delete(f"/api/api-keys/{bobs['id']}/").status_code == 404
    assert owner.delete(f"/api/api-keys/{bobs['id']}/").status_code == 204
    assert bearer(bobs["key"]).get("/api/me/").status_code == 401
    assert bearer(personal["key"]).get("/api/me/").status_code == 200
