"""A property-based fuzz of the whole API from its own OpenAPI schema (schemathesis).

Every operation of /api/schema/ gets generated requests — valid ones and invalid ones — sent
to a real Daphne with a real API key; every answer must be no server error and must match
the schema (status code, content type, headers, body). Path parameters are now and then
pointed at objects that exist, so the fuzz reaches past the 404s.

Operations that API keys may not use (members, keys, team settings) are fuzzed a second
time with a signed-in session, as the editor calls them.
"""

from __future__ import annotations

import os
import re
from typing import Any

import httpx
import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.credentials import do_create_credential
from accounts.models import ApiKey
from accounts.services import personal_team
from evaluations.models import Dataset, Evaluation
from flows.models import FlowVersion
from knowledge.services import do_add_document, do_create_knowledge_base
from runs.core import engine
from runs.models import Run
from tests.conftest import join, make_user
from tests.helpers import edge, graph, make_flow, node
from triggers.models import Schedule, TriggerToken

pytestmark = pytest.mark.worker

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Enough to find what breaks, short enough for `make test` on two cores (about a minute);
# BATON_FUZZ_EXAMPLES=200 for a longer hunt.
EXAMPLES = int(os.environ.get("BATON_FUZZ_EXAMPLES", "20"))
# Keys may never manage these (403), so the session pass is the one that must get in.
SESSION_ONLY = re.compile(r"^/api/(teams|api-keys|credentials)/")

HELLO = graph(
    [node("in", "input", key="name"), node("t", "template", template="Hello {{ input }}"),
     node("out", "output", key="greeting")],
    [edge("in", "t"), edge("t", "out")],
)

# The objects of the test being run, for the path-parameter hook below.
KNOWN: dict[str, Any] = {}


@pytest.fixture
def fuzz_world(running, web_server) -> dict[str, Any]:
    alice = make_user("alice")
    team = personal_team(alice)  # alice cannot be removed from it, whatever the fuzz does
    join(make_user("carol"), team, "viewer")
    flow = make_flow(alice, HELLO, team=team)
    FlowVersion.objects.create(flow=flow, number=1, graph=flow.graph, flow_revision=1, created_by=alice)
    now = timezone.now()
    run = Run.objects.create(team=team, flow=flow, graph=flow.graph, status=engine.SUCCEEDED,
                             started_at=now, finished_at=now, created_by=alice, event_seq=3)
    trigger, raw_trigger = TriggerToken.issue(flow, "hook", user=alice)
    schedule = Schedule.objects.create(flow=flow, cron="0 * * * *", created_by=alice)
    other_key, _ = ApiKey.issue(alice, "another", team=team)
    _key, raw_key = ApiKey.issue(alice, "fuzz")
    credential = do_create_credential(
        team=team, user=alice, name="OpenAI", provider="openai", data={"api_key": "sk-fuzz"}
    )
    knowledge_base = do_create_knowledge_base(team=team, user=alice, name="Help pages")
    document = do_add_document(knowledge_base, user=alice, name="faq", text="Returns are free.")
    dataset = Dataset.objects.create(team=team, flow=flow, name="tests", created_by=alice,
                                     rows=[{"inputs": {"name": "Ada"}, "expected": "Hello Ada"}])
    evaluation = Evaluation.objects.create(team=team, flow=flow, dataset=dataset, scorers=[{"type": "exact"}],
                                           status=Evaluation.SUCCEEDED, created_by=alice)
    KNOWN.clear()
    KNOWN.update(
        dataset=dataset.id, evaluation=evaluation.id,
        team=team.id, flow=flow.id, run=str(run.id), trigger=trigger.id, schedule=schedule.id,
        key=other_key.id, token=raw_trigger, raw_key=raw_key, alice=alice, url=web_server.url,
        credential=credential.id, knowledge_base=knowledge_base.id, document=document.id,
    )
    return KNOWN


def known_value(path: str, name: str) -> Any:
    if name in ("id", "pk"):  # drf-spectacular calls pk "id"
        if path.startswith("/api/teams/"):
            return KNOWN["team"]
        if path.startswith("/api/api-keys/"):
            return KNOWN["key"]
        if path.startswith("/api/runs/"):
            return KNOWN["run"]
        if path.startswith("/api/credentials/"):
            return KNOWN["credential"]
        if path.startswith("/api/knowledge-bases/"):
            return KNOWN["knowledge_base"]
        if path.startswith("/api/datasets/"):
            return KNOWN["dataset"]
        if path.startswith("/api/evaluations/"):
            return KNOWN["evaluation"]
        return KNOWN["flow"]
    return {
        "document_id": KNOWN["document"],
        "number": 1, "before": "1", "after": "draft", "trigger_id": KNOWN["trigger"],
        "schedule_id": KNOWN["schedule"], "username": "carol", "token": KNOWN["token"],
        "node_id": "t", "other": KNOWN["evaluation"],
    }.get(name)


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the time, point the path at objects that exist."""
    if not path_parameters or not KNOWN:
        return st.just(path_parameters)
    path = context.operation.path
    real = {name: known_value(path, name) for name in path_parameters}
    real = {**path_parameters, **{k: v for k, v in real.items() if v is not None}}
    return st.sampled_from([path_parameters, real])


@schemathesis.hook
def map_query(context, query):
    # A run of the known flow ends in well under a second; a long ?wait could only stall.
    if query and isinstance(query.get("wait"), (int, float)) and query["wait"] > 2:
        query = {**query, "wait": 2}
    return query


@schemathesis.hook
def map_body(context, body):
    # Callbacks to arbitrary hosts would only have the worker wait on DNS: point them at
    # an address the API refuses at once (their delivery is tested elsewhere).
    if isinstance(body, dict) and isinstance(body.get("callback_url"), str):
        body = {**body, "callback_url": "http://127.0.0.1:9/callback"}
    return body


def _load(web_server, headers: dict[str, str]):
    schema = schemathesis.openapi.from_url(f"{web_server.url}/api/schema/?format=json", headers=headers)
    schema.config.update(base_url=web_server.url, headers=headers)
    return schema


@pytest.fixture
def key_schema(fuzz_world, web_server):
    return _load(web_server, {"Authorization": f"Bearer {fuzz_world['raw_key']}"})


@pytest.fixture
def session_schema(fuzz_world, web_server):
    from django.test import Client

    signed_in = Client()
    signed_in.force_login(fuzz_world["alice"])  # a session row the server reads
    csrf = httpx.get(f"{web_server.url}/login").cookies["csrftoken"]
    headers = {
        "Cookie": f"sessionid={signed_in.cookies['sessionid'].value}; csrftoken={csrf}",
        "X-CSRFToken": csrf,
    }
    return _load(web_server, headers)


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same cases on every run: a failure here is not luck
    database=None,
)


def operation_labels(pattern: re.Pattern | None = None) -> list[str]:
    """"GET /api/flows/"... of the schema, made in process at collection time (the fuzz
    itself reads the schema the live server serves)."""
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return [
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        for method in operations
        if pattern is None or pattern.search(path)
    ]


def fuzz(schema, label: str, *, must_get_in: bool = True) -> None:
    """Generated cases, valid and invalid, for one operation; every answer checked."""
    from hypothesis import given
    from schemathesis import GenerationMode

    operation = schema.find_operation_by_label(label)
    assert operation is not None, f"the served schema has no {label}"
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    statuses: list[int] = []

    @FUZZ_SETTINGS
    @given(case=strategy)
    def check(case) -> None:
        statuses.append(case.call_and_validate(checks=CHECKS, timeout=30).status_code)

    check()
    # The fuzz must get past the door: some answer other than "not found" or "refused".
    assert not must_get_in or any(code < 400 or code in (400, 409, 422) for code in statuses), sorted(set(statuses))


@pytest.mark.parametrize("label", operation_labels())
def test_every_operation_answers_programs_without_errors_or_schema_violations(key_schema, label):
    # Keys are refused what they may not do; the session pass gets past the door there.
    fuzz(key_schema, label, must_get_in=not SESSION_ONLY.search(label.split(" ", 1)[1]))


@pytest.mark.parametrize("label", operation_labels(SESSION_ONLY))
def test_every_team_and_key_operation_answers_the_editor_without_errors(session_schema, label):
    fuzz(session_schema, label)
