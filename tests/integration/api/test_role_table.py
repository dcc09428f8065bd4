"""Every role against every endpoint, from one table.

Each row names an endpoint, the least role that may use it and what a success answers.
Roles rank viewer < runner < editor < owner; a member whose role is below the row's gets
the row's `denied` status (403, or 404 where the object itself is hidden from them), and
somebody outside the team gets 404 everywhere, with nothing changed.

To add endpoints, add rows to ENDPOINTS, and objects they need to `world` (its `ids` fill
the `{name}` placeholders).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.credentials import do_create_credential
from accounts.models import ApiKey, Credential
from accounts.services import do_create_team
from flows.models import FlowVersion
from knowledge.models import Document, KnowledgeBase
from knowledge.services import do_add_document, do_create_knowledge_base
from runs.core import engine
from runs.models import Run
from tests.conftest import join, make_user
from tests.helpers import edge, graph, make_flow, node
from triggers.models import Schedule, TriggerToken

RANK = {"viewer": 0, "runner": 1, "editor": 2, "owner": 3}
GOOD = graph([node("in", "input"), node("t", "template", template="hi"), node("out", "output")],
             [edge("in", "t"), edge("t", "out")])


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    least: str  # the least role allowed
    ok: int  # the status of a success
    body: dict[str, Any] = field(default_factory=dict)
    denied: int = 403  # the status for members below `least`
    stranger: int = 404  # lists answer 200, and must then list nothing of the team's

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ENDPOINTS = [
    # Teams and members
    Endpoint("GET", "/api/teams/{team}/", "viewer", 200),
    Endpoint("DELETE", "/api/teams/{team}/", "owner", 409),  # allowed, but it still has flows
    Endpoint("PATCH", "/api/teams/{team}/", "owner", 200, {"name": "Renamed", "max_active_runs": 5}),
    Endpoint("GET", "/api/teams/{team}/webhook-secret/", "owner", 200),
    Endpoint("POST", "/api/teams/{team}/webhook-secret/", "owner", 200),
    Endpoint("GET", "/api/teams/{team}/members/", "viewer", 200),
    Endpoint("POST", "/api/teams/{team}/members/", "owner", 201, {"username": "dave", "role": "viewer"}),
    Endpoint("GET", "/api/teams/{team}/members/carol/", "viewer", 200),
    Endpoint("PATCH", "/api/teams/{team}/members/carol/", "owner", 200, {"role": "editor"}),
    Endpoint("DELETE", "/api/teams/{team}/members/carol/", "owner", 204),
    # Flows
    Endpoint("GET", "/api/flows/?team={team}", "viewer", 200, stranger=200),
    Endpoint("POST", "/api/flows/", "editor", 201, {"name": "New", "team": "{team}"}),
    Endpoint("GET", "/api/flows/{flow}/", "viewer", 200),
    Endpoint("PATCH", "/api/flows/{flow}/", "editor", 200, {"name": "Renamed"}),
    Endpoint("PUT", "/api/flows/{flow}/", "editor", 200, {"name": "Replaced", "graph": GOOD}),
    Endpoint("DELETE", "/api/flows/{flow}/", "editor", 204),
    Endpoint("POST", "/api/flows/{flow}/validate/", "viewer", 200),
    Endpoint("POST", "/api/flows/{flow}/copy/", "editor", 201),  # into the same team
    # Versions
    Endpoint("GET", "/api/flows/{flow}/versions/", "viewer", 200),
    Endpoint("POST", "/api/flows/{flow}/versions/", "editor", 201, {"note": "again"}),
    Endpoint("GET", "/api/flows/{flow}/versions/1/", "viewer", 200),
    Endpoint("GET", "/api/flows/{flow}/versions/1/diff/draft/", "viewer", 200),
    Endpoint("POST", "/api/flows/{flow}/versions/1/restore/", "editor", 200),
    # Runs
    Endpoint("GET", "/api/runs/?flow={flow}", "viewer", 200, stranger=200),
    Endpoint("GET", "/api/flows/{flow}/runs/", "viewer", 200),
    Endpoint("POST", "/api/flows/{flow}/runs/", "runner", 201, {"inputs": {"x": 1}}),
    Endpoint("POST", "/api/flows/{flow}/runs/", "editor", 201, {"graph": GOOD}),  # a draft
    Endpoint("GET", "/api/runs/{run}/", "viewer", 200),
    Endpoint("GET", "/api/runs/{run}/events/", "viewer", 200),
    Endpoint("POST", "/api/runs/{active_run}/cancel/", "runner", 200),
    # Resuming a node that is not waiting: past the permission check, a conflict.
    Endpoint("POST", "/api/runs/{run}/nodes/t/resume/", "runner", 409, {"approved": True}),
    # Trigger URLs and schedules
    Endpoint("GET", "/api/flows/{flow}/triggers/", "viewer", 200),
    Endpoint("POST", "/api/flows/{flow}/triggers/", "editor", 201, {"name": "ci"}),
    Endpoint("GET", "/api/flows/{flow}/triggers/{trigger}/", "viewer", 200),
    Endpoint("DELETE", "/api/flows/{flow}/triggers/{trigger}/", "editor", 204),
    Endpoint("GET", "/api/flows/{flow}/schedules/", "viewer", 200),
    Endpoint("POST", "/api/flows/{flow}/schedules/", "editor", 201, {"cron": "0 * * * *"}),
    Endpoint("GET", "/api/flows/{flow}/schedules/{schedule}/", "viewer", 200),
    Endpoint("PATCH", "/api/flows/{flow}/schedules/{schedule}/", "editor", 200, {"enabled": False}),
    Endpoint("DELETE", "/api/flows/{flow}/schedules/{schedule}/", "editor", 204),
    # API keys: anyone makes their own; only owners see (and revoke) a teammate's.
    Endpoint("POST", "/api/api-keys/", "viewer", 201, {"name": "mine", "team": "{team}"}),
    Endpoint("GET", "/api/api-keys/?team={team}", "viewer", 200, stranger=200),
    Endpoint("GET", "/api/api-keys/{alice_key}/", "owner", 200, denied=404),
    Endpoint("PATCH", "/api/api-keys/{alice_key}/", "owner", 200, {"name": "renamed"}, denied=404),
    Endpoint("DELETE", "/api/api-keys/{alice_key}/", "owner", 204, denied=404),
    # Not role-based: /api/me/, /api/teams/ and /api/node-types/ answer anyone signed in
    # about themselves; POST /hooks/<token>/ needs only its token (tests/integration/
    # test_triggers.py).
    # Credentials: editors see them (to pick one in a node), only owners manage them.
    Endpoint("GET", "/api/credentials/{credential}/", "editor", 200),
    Endpoint(
        "POST", "/api/credentials/", "owner", 201,
        {"team": "{team}", "name": "Anthropic", "provider": "anthropic", "data": {"api_key": "sk-ant"}},
    ),
    Endpoint("PATCH", "/api/credentials/{credential}/", "owner", 200, {"name": "Renamed"}),
    Endpoint("DELETE", "/api/credentials/{credential}/", "owner", 204),
    # Knowledge bases: everyone reads, editors change.
    Endpoint("GET", "/api/knowledge-bases/{knowledge_base}/", "viewer", 200),
    Endpoint("POST", "/api/knowledge-bases/", "editor", 201, {"team": "{team}", "name": "Docs"}),
    Endpoint("PATCH", "/api/knowledge-bases/{knowledge_base}/", "editor", 200, {"name": "Help"}),
    Endpoint("DELETE", "/api/knowledge-bases/{knowledge_base}/", "editor", 204),
    Endpoint("GET", "/api/knowledge-bases/{knowledge_base}/documents/", "viewer", 200),
    Endpoint(
        "POST", "/api/knowledge-bases/{knowledge_base}/documents/", "editor", 201,
        {"name": "faq", "text": "Returns are free within 30 days."},
    ),
    Endpoint("GET", "/api/knowledge-bases/{knowledge_base}/documents/{document}/", "viewer", 200),
    Endpoint("DELETE", "/api/knowledge-bases/{knowledge_base}/documents/{document}/", "editor", 204),
]


@pytest.fixture
def world(alice) -> dict[str, Any]:
    """Acme, owned by alice, with one of everything; carol is a viewer in it."""
    acme = do_create_team(alice, "Acme")
    carol, _dave = make_user("carol"), make_user("dave")
    join(carol, acme, "viewer")
    flow = make_flow(alice, GOOD, team=acme)
    FlowVersion.objects.create(flow=flow, number=1, graph=flow.graph, flow_revision=1, created_by=alice)
    now = timezone.now()
    common = {"team": acme, "flow": flow, "graph": flow.graph, "created_by": alice}
    run = Run.objects.create(status=engine.SUCCEEDED, started_at=now, finished_at=now, **common)
    active_run = Run.objects.create(status=engine.PENDING, **common)
    trigger, _raw = TriggerToken.issue(flow, "hook", user=alice)
    schedule = Schedule.objects.create(flow=flow, cron="0 * * * *", created_by=alice, next_fire_at=now)
    alice_key, _raw = ApiKey.issue(alice, "alice's", team=acme)
    credential = do_create_credential(
        team=acme, user=alice, name="OpenAI", provider="openai", data={"api_key": "sk-test"}
    )
    knowledge_base = do_create_knowledge_base(team=acme, user=alice, name="Help pages")
    document = do_add_document(knowledge_base, user=alice, name="shipping", text="We ship in 2 days.")
    ids = {
        "team": acme.id, "flow": flow.id, "run": run.id, "active_run": active_run.id,
        "trigger": trigger.id, "schedule": schedule.id, "alice_key": alice_key.id,
        "credential": credential.id, "knowledge_base": knowledge_base.id, "document": document.id,
    }
    return {"team": acme, "ids": ids}


def call(client: APIClient, endpoint: Endpoint, ids: dict[str, Any]):
    path = endpoint.path.format(**ids)
    body = {k: (ids[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v)
            for k, v in endpoint.body.items()}
    response = client.generic(endpoint.method, path, data=_json(body), content_type="application/json")
    if getattr(response, "streaming", False):
        response.close()  # the events stream: its status is what we check
    return response


def _json(body) -> str:
    import json

    return json.dumps(body)


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", list(RANK))
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_each_role_may_do_exactly_what_the_table_says(world, bob, role, endpoint):
    join(bob, world["team"], role)
    response = call(signed_in(bob), endpoint, world["ids"])
    expected = endpoint.ok if RANK[role] >= RANK[endpoint.least] else endpoint.denied
    assert response.status_code == expected, (role, str(endpoint), _content(response))
    if expected in (403, 404):
        assert _content(response)["error"]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_somebody_outside_the_team_gets_404_everywhere_and_changes_nothing(world, bob, endpoint):
    before = _state(world)
    response = call(signed_in(bob), endpoint, world["ids"])
    assert response.status_code == endpoint.stranger, (str(endpoint), _content(response))
    if endpoint.stranger == 200:
        body = _content(response)
        assert (body["results"] if isinstance(body, dict) else body) == []
    assert _state(world) == before


def _content(response):
    if getattr(response, "streaming", False):
        return {}
    try:
        return response.json()
    except ValueError:
        return response.content


def _state(world) -> dict:
    """What an endpoint could change, read back from the database."""
    from accounts.models import Membership, Team
    from flows.models import Flow

    team = Team.objects.get(pk=world["team"].pk)
    return {
        "team": (team.name, team.max_active_runs, team.webhook_secret),
        "members": sorted(Membership.objects.filter(team=team).values_list("user__username", "role")),
        "flows": sorted(Flow.objects.filter(team=team).values_list("id", "name", "revision")),
        "versions": FlowVersion.objects.count(),
        "runs": sorted((str(i), s) for i, s in Run.objects.values_list("id", "status")),
        "triggers": sorted(TriggerToken.objects.values_list("id", "revoked_at")),
        "schedules": sorted(Schedule.objects.values_list("id", "enabled")),
        "keys": sorted(ApiKey.objects.values_list("id", "revoked_at")),
        "credentials": sorted(Credential.objects.values_list("id", "name", "encrypted", "fields")),
        "knowledge_bases": sorted(KnowledgeBase.objects.values_list("id", "name")),
        "documents": sorted(Document.objects.values_list("id", "name")),
    }


# --- API key scopes ----------------------------------------------------------------------------
# A key acts as its user (alice, an owner here) narrowed to its scopes; some endpoints are
# never open to keys at all (members, team settings, keys, credentials).

READ = {"flows:read", "flows:write"}
RUNS_READ = {"flows:read", "runs:write"}
KEY_ENDPOINTS = [
    (Endpoint("GET", "/api/flows/{flow}/", "viewer", 200), READ),
    (Endpoint("PATCH", "/api/flows/{flow}/", "editor", 200, {"name": "Renamed"}), {"flows:write"}),
    (Endpoint("GET", "/api/flows/{flow}/versions/", "viewer", 200), READ),
    (Endpoint("POST", "/api/flows/{flow}/versions/", "editor", 201), {"flows:write"}),
    (Endpoint("POST", "/api/flows/{flow}/runs/", "runner", 201), {"runs:write"}),
    (Endpoint("POST", "/api/flows/{flow}/runs/", "editor", 201, {"graph": GOOD}), set()),
    (Endpoint("GET", "/api/runs/{run}/", "viewer", 200), RUNS_READ),
    (Endpoint("GET", "/api/runs/{run}/events/", "viewer", 200), RUNS_READ),
    (Endpoint("POST", "/api/runs/{active_run}/cancel/", "runner", 200), {"runs:write"}),
    (Endpoint("POST", "/api/flows/{flow}/triggers/", "editor", 201, {"name": "ci"}), {"flows:write"}),
    (Endpoint("POST", "/api/flows/{flow}/schedules/", "editor", 201, {"cron": "@daily"}), {"flows:write"}),
    (Endpoint("GET", "/api/flows/{flow}/schedules/", "viewer", 200), READ),
    (Endpoint("GET", "/api/teams/{team}/members/", "viewer", 200), set()),
    (Endpoint("PATCH", "/api/teams/{team}/", "owner", 200, {"name": "x"}), set()),
    (Endpoint("GET", "/api/teams/{team}/webhook-secret/", "owner", 200), set()),
    (Endpoint("POST", "/api/api-keys/", "viewer", 201, {"name": "k"}), set()),
    (Endpoint("GET", "/api/credentials/{credential}/", "editor", 200), {"flows:write"}),
    (Endpoint("PATCH", "/api/credentials/{credential}/", "owner", 200, {"name": "x"}), set()),
    (Endpoint("GET", "/api/knowledge-bases/{knowledge_base}/", "viewer", 200), READ),
    (Endpoint("POST", "/api/knowledge-bases/{knowledge_base}/documents/", "editor", 201,
              {"name": "n", "text": "t"}), {"flows:write"}),
]


@pytest.mark.parametrize("scope", ["flows:read", "runs:write", "flows:write"])
@pytest.mark.parametrize("endpoint, scopes", KEY_ENDPOINTS, ids=[str(e) for e, _ in KEY_ENDPOINTS])
def test_a_keys_scopes_decide_what_it_may_do(world, alice, scope, endpoint, scopes):
    _key, raw = ApiKey.issue(alice, "scoped", team=world["team"], scopes=[scope])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = call(client, endpoint, world["ids"])
    expected = endpoint.ok if scope in scopes else 403
    assert response.status_code == expected, (scope, str(endpoint), _content(response))
