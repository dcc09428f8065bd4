"""Teams and their members: who may add, change and remove whom; flows moved and copied
between one's teams."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey, Membership, Team
from accounts.services import do_create_team
from flows.models import Flow
from runs.core import engine
from runs.models import Run
from tests.conftest import api_client, join, make_user
from tests.helpers import edge, graph, make_flow, node

GOOD = graph([node("in", "input"), node("out", "output")], [edge("in", "out")])


def signed_in(user) -> APIClient:
    """A client that acts like the editor: a session, no key."""
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def acme(alice) -> Team:
    return do_create_team(alice, "Acme")


def roles(team: Team) -> dict[str, str]:
    return dict(team.memberships.values_list("user__username", "role"))


def test_it_creates_a_team_whose_creator_is_its_owner(alice):
    response = signed_in(alice).post("/api/teams/", {"name": "Research"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["role"] == "owner" and body["personal"] is False
    assert roles(Team.objects.get(pk=body["id"])) == {"alice": "owner"}


def test_an_owner_adds_changes_and_removes_members(alice, bob, acme):
    owner = signed_in(alice)
    added = owner.post(f"/api/teams/{acme.id}/members/", {"username": "bob", "role": "viewer"}, format="json")
    assert added.status_code == 201
    assert added.json() == {"id": bob.id, "username": "bob", "role": "viewer",
                            "joined_at": added.json()["joined_at"], "personal_owner": False}
    listed = owner.get(f"/api/teams/{acme.id}/members/").json()
    assert [(m["username"], m["role"]) for m in listed] == [("alice", "owner"), ("bob", "viewer")]
    changed = owner.patch(f"/api/teams/{acme.id}/members/bob/", {"role": "editor"}, format="json")
    assert changed.status_code == 200 and changed.json()["role"] == "editor"
    assert owner.delete(f"/api/teams/{acme.id}/members/bob/").status_code == 204
    assert roles(acme) == {"alice": "owner"}


@pytest.mark.parametrize(
    "body, message",
    [
        ({"username": "nobody", "role": "viewer"}, "username: there is no user named 'nobody'"),
        ({"username": "bob", "role": "admin"}, "role: \"admin\" is not a valid choice."),
        ({"username": 7, "role": "viewer"}, "username: must be a string, not int"),
        ({"role": "viewer"}, "username: This field is required."),
    ],
)
def test_bad_member_requests_get_a_clear_400_and_change_nothing(alice, bob, acme, body, message):
    response = signed_in(alice).post(f"/api/teams/{acme.id}/members/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == message
    assert roles(acme) == {"alice": "owner"}


def test_adding_someone_twice_is_a_conflict(alice, bob, acme):
    join(bob, acme, "runner")
    response = signed_in(alice).post(f"/api/teams/{acme.id}/members/", {"username": "bob", "role": "editor"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == "bob is already a member (runner); change their role instead"
    assert roles(acme)["bob"] == "runner"


def test_a_team_keeps_at_least_one_owner(alice, bob, acme):
    owner = signed_in(alice)
    demoted = owner.patch(f"/api/teams/{acme.id}/members/alice/", {"role": "editor"}, format="json")
    assert demoted.status_code == 409
    assert demoted.json()["error"] == "a team needs at least one owner: make someone else owner first"
    assert owner.delete(f"/api/teams/{acme.id}/members/alice/").status_code == 409
    join(bob, acme, "owner")
    assert owner.patch(f"/api/teams/{acme.id}/members/alice/", {"role": "editor"}, format="json").status_code == 200
    assert roles(acme) == {"alice": "editor", "bob": "owner"}


def test_the_owner_of_a_personal_team_stays_its_owner(alice, bob, alice_team):
    join(bob, alice_team, "owner")
    by_bob = signed_in(bob)
    response = by_bob.patch(f"/api/teams/{alice_team.id}/members/alice/", {"role": "viewer"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == "the owner of a personal team stays its owner"
    assert by_bob.delete(f"/api/teams/{alice_team.id}/members/alice/").status_code == 409
    assert signed_in(alice).delete(f"/api/teams/{alice_team.id}/").status_code == 409
    assert roles(alice_team) == {"alice": "owner", "bob": "owner"}


def test_a_member_may_leave_but_not_remove_others(alice, bob, carol, acme):
    join(bob, acme, "editor")
    join(carol, acme, "viewer")
    by_bob = signed_in(bob)
    refused = by_bob.delete(f"/api/teams/{acme.id}/members/carol/")
    assert refused.status_code == 403
    assert refused.json()["error"] == "your role in this team (editor) does not allow team.manage"
    assert by_bob.delete(f"/api/teams/{acme.id}/members/bob/").status_code == 204
    assert roles(acme) == {"alice": "owner", "carol": "viewer"}
    # Gone from the team, bob no longer sees it at all.
    assert by_bob.get(f"/api/teams/{acme.id}/members/").status_code == 404


def test_when_two_owners_demote_each_other_at_once_one_stays_owner(transactional_db):
    """The team's row lock makes the second demotion see the first."""
    import threading

    from django.db import connection

    from accounts.services import do_change_role
    from orchestrator_site.problems import Conflict

    alice, bob = make_user("alice"), make_user("bob")
    acme = do_create_team(alice, "Acme")
    join(bob, acme, "owner")
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def demote(username: str) -> None:
        membership = Membership.objects.get(team=acme, user__username=username)
        barrier.wait()
        try:
            do_change_role(acme, membership, "viewer")
            results[username] = "demoted"
        except Conflict:
            results[username] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=demote, args=(name,)) for name in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(results.values()) == ["demoted", "refused"]
    assert list(roles(acme).values()).count("owner") == 1


def test_owners_rename_a_team_and_cap_its_runs(alice, bob, acme):
    join(bob, acme, "editor")
    assert signed_in(bob).patch(f"/api/teams/{acme.id}/", {"name": "Mine"}, format="json").status_code == 403
    response = signed_in(alice).patch(f"/api/teams/{acme.id}/", {"name": "Acme Inc", "max_active_runs": 3}, format="json")
    assert response.status_code == 200
    assert response.json()["max_active_runs"] == 3 and response.json()["member_count"] == 2
    bad = signed_in(alice).patch(f"/api/teams/{acme.id}/", {"max_active_runs": -1}, format="json")
    assert bad.status_code == 400
    assert Team.objects.get(pk=acme.pk).name == "Acme Inc"


def test_a_team_with_flows_is_not_deleted(alice, acme):
    flow = make_flow(alice, GOOD, team=acme)
    response = signed_in(alice).delete(f"/api/teams/{acme.id}/")
    assert response.status_code == 409
    assert response.json()["error"] == "the team still has 1 flow: move or delete them first"
    flow.delete()
    assert signed_in(alice).delete(f"/api/teams/{acme.id}/").status_code == 204
    assert not Team.objects.filter(pk=acme.pk).exists()


def test_owners_read_and_rotate_the_webhook_secret(alice, bob, acme):
    join(bob, acme, "editor")
    owner = signed_in(alice)
    secret = owner.get(f"/api/teams/{acme.id}/webhook-secret/").json()["webhook_secret"]
    assert len(secret) == 64
    rotated = owner.post(f"/api/teams/{acme.id}/webhook-secret/").json()["webhook_secret"]
    assert rotated != secret and Team.objects.get(pk=acme.pk).webhook_secret == rotated
    assert signed_in(bob).get(f"/api/teams/{acme.id}/webhook-secret/").status_code == 403


def test_api_keys_do_not_manage_teams(alice, acme):
    key = api_client(alice)
    refused = key.post(f"/api/teams/{acme.id}/members/", {"username": "alice", "role": "viewer"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"].startswith("API keys may not do team.manage")
    assert key.post("/api/teams/", {"name": "by key"}, format="json").status_code == 403
    assert key.get(f"/api/teams/{acme.id}/webhook-secret/").status_code == 403
    assert key.get(f"/api/teams/{acme.id}/").status_code == 200  # reading the team is fine


# --- Moving and copying flows between one's teams ---------------------------------------------


def test_an_editor_in_both_teams_moves_a_flow(alice, acme, alice_team):
    flow = make_flow(alice, GOOD, team=alice_team)
    response = signed_in(alice).patch(f"/api/flows/{flow.id}/", {"team": acme.id}, format="json")
    assert response.status_code == 200
    assert Flow.objects.get(pk=flow.pk).team_id == acme.id


def test_a_moved_flow_takes_its_run_history_along(alice, bob, acme, alice_team):
    flow = make_flow(alice, GOOD, team=alice_team)
    now = timezone.now()
    run = Run.objects.create(team=alice_team, flow=flow, graph=flow.graph, status=engine.SUCCEEDED,
                             started_at=now, finished_at=now, created_by=alice)
    join(bob, acme, "viewer")
    assert signed_in(bob).get(f"/api/runs/{run.id}/").status_code == 404
    response = signed_in(alice).patch(f"/api/flows/{flow.id}/", {"team": acme.id}, format="json")
    assert response.status_code == 200
    assert Run.objects.get(pk=run.pk).team_id == acme.id
    assert signed_in(bob).get(f"/api/runs/{run.id}/").status_code == 200
    assert [r["id"] for r in signed_in(bob).get(f"/api/flows/{flow.id}/runs/").json()["results"]] == [str(run.id)]


def test_a_flow_with_runs_in_progress_does_not_move(alice, acme, alice_team):
    flow = make_flow(alice, GOOD, team=alice_team)
    run = Run.objects.create(team=alice_team, flow=flow, graph=flow.graph, status=engine.WAITING, created_by=alice)
    response = signed_in(alice).patch(f"/api/flows/{flow.id}/", {"team": acme.id}, format="json")
    assert response.status_code == 409
    assert "1 run in progress" in response.json()["error"]
    assert Flow.objects.get(pk=flow.pk).team_id == alice_team.id
    assert Run.objects.get(pk=run.pk).team_id == alice_team.id
    # Renaming is not moving: it still works.
    renamed = signed_in(alice).patch(f"/api/flows/{flow.id}/", {"name": "Renamed", "team": alice_team.id}, format="json")
    assert renamed.status_code == 200


def test_moving_needs_write_in_both_teams(alice, bob, acme, bob_team):
    flow = make_flow(alice, GOOD, team=acme)
    join(bob, acme, "viewer")
    response = signed_in(bob).patch(f"/api/flows/{flow.id}/", {"team": bob_team.id}, format="json")
    assert response.status_code == 403
    Membership.objects.filter(user=bob, team=acme).update(role="editor")
    stranger_team = Team.objects.create(name="Elsewhere")
    response = signed_in(bob).patch(f"/api/flows/{flow.id}/", {"team": stranger_team.id}, format="json")
    assert response.status_code == 404
    assert Flow.objects.get(pk=flow.pk).team_id == acme.id


def test_a_moved_flow_leaves_the_keys_of_its_old_team(alice, acme, alice_team):
    flow = make_flow(alice, GOOD, team=alice_team)
    key, _raw = ApiKey.issue(alice, "limited", team=alice_team)
    key.flows.set([flow])
    signed_in(alice).patch(f"/api/flows/{flow.id}/", {"team": acme.id}, format="json")
    assert list(key.flows.all()) == []


def test_a_reader_copies_a_flow_into_a_team_where_they_edit(alice, bob, acme, bob_team):
    flow = make_flow(alice, GOOD, team=acme, name="Greeter")
    join(bob, acme, "viewer")
    response = signed_in(bob).post(f"/api/flows/{flow.id}/copy/", {"team": bob_team.id}, format="json")
    assert response.status_code == 201
    copy = Flow.objects.get(pk=response.json()["id"])
    assert (copy.team_id, copy.name, copy.graph) == (bob_team.id, "Greeter", flow.graph)
    assert copy.created_by == bob
    # ...but not into the team they only read.
    same_team = signed_in(bob).post(f"/api/flows/{flow.id}/copy/", {}, format="json")
    assert same_team.status_code == 403
    assert Flow.objects.filter(team=acme).count() == 1


def test_a_copy_in_the_same_team_is_named_as_a_copy(alice, alice_team):
    flow = make_flow(alice, GOOD, name="Greeter")
    body = signed_in(alice).post(f"/api/flows/{flow.id}/copy/", {}, format="json").json()
    assert body["name"] == "Greeter (copy)" and body["team"] == alice_team.id
    assert body["revision"] == 1 and body["latest_version"] is None


def test_nobody_copies_into_a_team_they_are_not_in(alice, bob_team):
    flow = make_flow(alice, GOOD)
    response = signed_in(alice).post(f"/api/flows/{flow.id}/copy/", {"team": bob_team.id}, format="json")
    assert response.status_code == 404
    assert not Flow.objects.filter(team=bob_team).exists()


def test_team_member_lists_need_membership(alice, acme):
    dave = make_user("dave")
    assert signed_in(dave).get(f"/api/teams/{acme.id}/members/").status_code == 404
    assert signed_in(dave).get(f"/api/teams/{acme.id}/").status_code == 404


def test_me_says_what_each_role_may_do_from_the_one_role_table(alice, bob):
    from rest_framework.test import APIClient

    from accounts.roles import CAPABILITIES, scopes_allowed

    acme = do_create_team(alice, "Acme")
    join(bob, acme, "runner")
    client = APIClient()
    client.force_login(bob)
    teams = {t["name"]: t for t in client.get("/api/me/").json()["teams"]}
    assert teams["Acme"]["role"] == "runner"
    assert teams["Acme"]["capabilities"] == sorted(CAPABILITIES["runner"])
    assert teams["Acme"]["key_scopes"] == scopes_allowed("runner") == ["flows:read", "runs:write"]
