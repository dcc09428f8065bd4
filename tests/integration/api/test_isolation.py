"""Cross-team isolation (IDOR): bob, in his own team only, names alice's objects — directly,
through his own flow, in filters and in bodies — and always gets 404 (or an empty list),
with nothing of alice's changed. The role table's stranger test covers every endpoint
with alice's ids; these are the mixed cases."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import ApiKey
from flows.models import Flow, FlowVersion
from runs.core import engine
from runs.models import Run
from tests.conftest import api_client
from tests.helpers import edge, graph, make_flow, node
from triggers.models import Schedule, TriggerToken

GOOD = graph([node("in", "input"), node("out", "output")], [edge("in", "out")])


@pytest.fixture
def alices(alice):
    flow = make_flow(alice, GOOD, name="Alice's")
    version = FlowVersion.objects.create(flow=flow, number=1, graph=flow.graph, flow_revision=1)
    now = timezone.now()
    run = Run.objects.create(team=flow.team, flow=flow, graph=flow.graph, status=engine.SUCCEEDED,
                             started_at=now, finished_at=now, created_by=alice)
    trigger, raw = TriggerToken.issue(flow, "hook", user=alice)
    schedule = Schedule.objects.create(flow=flow, cron="0 * * * *", created_by=alice)
    key, _ = ApiKey.issue(alice, "alice's", team=flow.team)
    return {"flow": flow, "version": version, "run": run, "trigger": trigger, "schedule": schedule,
            "key": key, "raw_trigger": raw}


@pytest.fixture
def bobs_flow(bob):
    return make_flow(bob, GOOD, name="Bob's")


def snapshot(alices) -> tuple:
    flow = Flow.objects.get(pk=alices["flow"].pk)
    return (
        (flow.name, flow.revision, flow.team_id),
        list(FlowVersion.objects.filter(flow=flow).values_list("number", "note")),
        list(Run.objects.filter(flow=flow).values_list("status", flat=True)),
        TriggerToken.objects.get(pk=alices["trigger"].pk).revoked_at,
        list(Schedule.objects.filter(pk=alices["schedule"].pk).values_list("cron", "enabled")),
        ApiKey.objects.get(pk=alices["key"].pk).revoked_at,
    )


def test_sub_objects_of_alice_are_not_reachable_through_bobs_flow(bob_api, alices, bobs_flow):
    before = snapshot(alices)
    base = f"/api/flows/{bobs_flow.id}"
    for method, path, body in [
        ("get", f"{base}/triggers/{alices['trigger'].id}/", None),
        ("delete", f"{base}/triggers/{alices['trigger'].id}/", None),
        ("get", f"{base}/schedules/{alices['schedule'].id}/", None),
        ("patch", f"{base}/schedules/{alices['schedule'].id}/", {"enabled": False}),
        ("delete", f"{base}/schedules/{alices['schedule'].id}/", None),
    ]:
        response = getattr(bob_api, method)(path, body, format="json")
        assert response.status_code == 404, (method, path)
    assert snapshot(alices) == before


def test_alices_ids_in_filters_and_bodies_find_nothing(bob, bob_api, alices, bobs_flow):
    before = snapshot(alices)
    assert bob_api.get(f"/api/runs/?flow={alices['flow'].id}").json()["count"] == 0
    assert bob_api.get(f"/api/flows/?team={alices['flow'].team_id}").json()["count"] == 0
    # A key limited to alice's flow, a copy of it, a new flow or a move into her team:
    from rest_framework.test import APIClient

    session = APIClient()
    session.force_login(bob)
    limited = session.post("/api/api-keys/", {"name": "x", "flows": [alices["flow"].id]}, format="json")
    assert limited.status_code == 400
    assert limited.json()["error"] == f"flows: the team has no flow {alices['flow'].id}"
    assert session.post("/api/api-keys/", {"name": "x", "team": alices["flow"].team_id}, format="json").status_code == 404
    assert bob_api.post(f"/api/flows/{alices['flow'].id}/copy/", {"team": bobs_flow.team_id}, format="json").status_code == 404
    assert bob_api.post("/api/flows/", {"name": "x", "team": alices["flow"].team_id}, format="json").status_code == 404
    assert bob_api.patch(f"/api/flows/{bobs_flow.id}/", {"team": alices["flow"].team_id}, format="json").status_code == 404
    assert snapshot(alices) == before
    assert Flow.objects.filter(team=alices["flow"].team).count() == 1
    assert Flow.objects.get(pk=bobs_flow.pk).team_id == bobs_flow.team_id


def test_bobs_keys_and_session_see_none_of_alices_keys(bob, alices):
    from rest_framework.test import APIClient

    session = APIClient()
    session.force_login(bob)
    assert session.get("/api/api-keys/").json() == []
    assert session.get(f"/api/api-keys/?team={alices['flow'].team_id}").json() == []
    assert session.get(f"/api/api-keys/{alices['key'].id}/").status_code == 404
    assert session.patch(f"/api/api-keys/{alices['key'].id}/", {"name": "mine"}, format="json").status_code == 404
    assert session.delete(f"/api/api-keys/{alices['key'].id}/").status_code == 404
    assert ApiKey.objects.get(pk=alices["key"].pk).name == "alice's"
    assert ApiKey.objects.get(pk=alices["key"].pk).revoked_at is None


def test_a_trigger_url_starts_only_its_own_flow_and_a_revoked_one_nothing(alices, client):
    TriggerToken.objects.filter(pk=alices["trigger"].pk).update(revoked_at=timezone.now())
    response = client.post(f"/hooks/{alices['raw_trigger']}/", {}, content_type="application/json")
    assert response.status_code == 404
    assert response.json() == {"error": "no such trigger"}
    forged = alices["raw_trigger"][:16] + "x" * 30
    assert client.post(f"/hooks/{forged}/", {}, content_type="application/json").status_code == 404
    assert Run.objects.count() == 1


def test_huge_and_malformed_ids_are_404_not_errors(bob_api):
    for path in ["/api/flows/99999999999999999999999/", "/api/runs/not-a-uuid/",
                 "/api/flows/1/versions/99999999999/", "/api/api-keys/123456789012345678901/",
                 "/api/teams/-1/members/"]:
        response = bob_api.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]
    assert bob_api.get("/api/flows/?team=99999999999999999999999").status_code == 400


def test_other_teams_credentials_answer_404_and_stay_untouched(alice, bob_api):
    from rest_framework.test import APIClient

    owner = APIClient()
    owner.force_login(alice)
    created = owner.post(
        "/api/credentials/",
        {"name": "openai", "provider": "openai", "data": {"api_key": "sk-secret"}},
        format="json",
    )
    assert created.status_code == 201, created.content
    credential = created.json()["id"]
    for method in ("get", "patch", "delete"):
        response = getattr(bob_api, method)(f"/api/credentials/{credential}/", {"name": "mine"}, format="json")
        assert response.status_code == 404, method
    assert owner.get(f"/api/credentials/{credential}/").json()["name"] == "openai"
    assert all(c["id"] != credential for c in _items(bob_api.get("/api/credentials/").json()))


def _items(body):
    return body["results"] if isinstance(body, dict) else body


def test_alice_still_sees_everything_of_hers(alice, alices):
    client = api_client(alice)
    assert client.get(f"/api/flows/{alices['flow'].id}/versions/1/").status_code == 200
    assert client.get(f"/api/runs/{alices['run'].id}/").status_code == 200
    assert client.get(f"/api/flows/{alices['flow'].id}/triggers/{alices['trigger'].id}/").status_code == 200
