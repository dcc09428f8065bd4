"""The Django admin follows the same role table: staff see only their teams' objects, change
only what their role allows, and admin actions go through the services' rules."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import ApiKey, Membership
from accounts.services import do_create_team
from flows.models import Flow
from tests.conftest import join, make_user
from tests.helpers import edge, graph, make_flow, node

GOOD = graph([node("in", "input"), node("out", "output")], [edge("in", "out")])


def staff(username: str):
    """Staff with every model permission of our apps: only team roles hold them back."""
    user = make_user(username)
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["accounts", "flows", "runs", "triggers"])
    )
    return user


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def acme(alice):
    return do_create_team(alice, "Acme")


def test_staff_see_only_the_objects_of_their_teams(alice, acme):
    flow = make_flow(alice, GOOD, team=acme, name="Acme flow")
    outsider = staff("olga")
    page = admin_client(outsider).get("/admin/flows/flow/")
    assert page.status_code == 200 and "Acme flow" not in page.content.decode()
    assert admin_client(outsider).get(f"/admin/flows/flow/{flow.id}/change/").status_code in (302, 404)


def test_a_viewer_may_look_but_not_change_or_delete(alice, acme):
    flow = make_flow(alice, GOOD, team=acme, name="Acme flow")
    viewer = staff("vera")
    join(viewer, acme, "viewer")
    client = admin_client(viewer)
    assert "Acme flow" in client.get("/admin/flows/flow/").content.decode()
    assert client.get(f"/admin/flows/flow/{flow.id}/change/").status_code == 200  # read-only view
    changed = client.post(f"/admin/flows/flow/{flow.id}/change/", {"name": "Vera's", "description": ""})
    assert changed.status_code == 403
    assert client.post(f"/admin/flows/flow/{flow.id}/delete/", {"post": "yes"}).status_code == 403
    assert Flow.objects.get(pk=flow.pk).name == "Acme flow"


def test_an_editor_renames_a_flow_through_the_service(alice, acme):
    flow = make_flow(alice, GOOD, team=acme, name="Acme flow")
    editor = staff("eddie")
    join(editor, acme, "editor")
    response = admin_client(editor).post(f"/admin/flows/flow/{flow.id}/change/", {"name": "Renamed", "description": ""})
    assert response.status_code == 302
    saved = Flow.objects.get(pk=flow.pk)
    assert (saved.name, saved.revision, saved.updated_by) == ("Renamed", 2, editor)


def test_the_webhook_secret_and_key_hashes_are_never_shown(alice, acme):
    key, _raw = ApiKey.issue(alice, "ci", team=acme)
    root = make_user("root")
    root.is_staff = root.is_superuser = True
    root.save()
    client = admin_client(root)
    assert acme.webhook_secret not in client.get(f"/admin/accounts/team/{acme.id}/change/").content.decode()
    assert key.key_hash not in client.get(f"/admin/accounts/apikey/{key.id}/change/").content.decode()


def test_only_owners_revoke_a_teams_keys_from_the_admin(alice, bob, acme):
    key, _raw = ApiKey.issue(alice, "alice's", team=acme)
    editor = staff("eddie")
    join(editor, acme, "editor")
    action = {"action": "revoke", "_selected_action": [key.id]}
    admin_client(editor).post("/admin/accounts/apikey/", action)
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    owner = staff("oscar")
    join(owner, acme, "owner")
    admin_client(owner).post("/admin/accounts/apikey/", action)
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None


def test_the_admin_keeps_a_team_with_an_owner(alice, acme):
    owner = staff("oscar")
    join(owner, acme, "owner")
    Membership.objects.filter(team=acme, user=alice).update(role="editor")
    membership = Membership.objects.get(team=acme, user=owner)
    response = admin_client(owner).post(
        f"/admin/accounts/membership/{membership.id}/change/", {"role": "viewer"}, follow=True
    )
    assert "a team needs at least one owner" in response.content.decode().lower()
    assert Membership.objects.get(pk=membership.pk).role == "owner"
