"""Fixtures shared by every suite: people and their teams, API clients, and real services."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts.models import ApiKey, Membership, Team
from accounts.services import personal_team

from .fake_llm import FakeLLM
from .services import TestHttpServer, WebServer, Worker, start_redis_server


@pytest.fixture(scope="session", autouse=True)
def embedded_redis():
    """In local mode the tests start their own Redis, as `make run` does."""
    port = os.environ.get("BATON_TEST_START_REDIS")
    if not port:
        yield None
        return
    process = start_redis_server(int(port), os.environ["BATON_DATA_DIR"])
    yield process
    process.terminate()
    process.wait(10)


# --- People ---------------------------------------------------------------------------------
# alice and bob each have a personal team; carol is a stranger to both.


def make_user(username: str):
    return get_user_model().objects.create_user(username, password=f"{username}-password")


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def carol(db):
    return make_user("carol")


@pytest.fixture
def alice_team(alice) -> Team:
    return personal_team(alice)


@pytest.fixture
def bob_team(bob) -> Team:
    return personal_team(bob)


def settle_runs(timeout: float = 3.0) -> None:
    import time

    from runs import transitions
    from runs.core import engine
    from runs.models import NodeRun, Run

    for run_id in Run.objects.filter(status__in=engine.ACTIVE_RUN_STATUSES).values_list("pk", flat=True):
        transitions.cancel_run(str(run_id), by="the test's end")
    deadline = time.monotonic() + timeout
    busy = NodeRun.objects.filter(status__in=[engine.QUEUED, engine.RUNNING])
    while busy.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def join(user, team: Team, role: str) -> Membership:
    return Membership.objects.create(user=user, team=team, role=role)


def api_client(user=None, **key_options) -> APIClient:
    """A client that authenticates like a program: with a real API key."""
    client = APIClient()
    if user is not None:
        _key, raw = ApiKey.issue(user, "tests", **key_options)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        client.raw_key = raw
    return client


def flow_limited_client(user, flows) -> APIClient:
    """A client with an API key of `user` limited to `flows`."""
    key, raw = ApiKey.issue(user, "flow-limited")
    key.flow_limited = True
    key.save()
    key.flows.set(flows)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def alice_api(alice) -> APIClient:
    return api_client(alice)


@pytest.fixture
def bob_api(bob) -> APIClient:
    return api_client(bob)


# --- Real services ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def http_server():
    server = TestHttpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_llm():
    """A model provider speaking the OpenAI and Anthropic protocols (tests/fake_llm.py)."""
    server = FakeLLM().start()
    yield server
    server.stop()


# What the session worker runs with besides the test services' addresses: code nodes on,
# and model calls that give up and retry quickly.
AI_WORKER_ENV = {
    "BATON_ALLOW_CODE": "1",
    "BATON_LLM_IDLE_TIMEOUT": "1.5",
    "BATON_LLM_RETRY_BASE": "0.05",
    "BATON_LLM_RETRY_MAX_WAIT": "3",
}


@pytest.fixture(scope="session")
def worker(django_db_setup, django_db_blocker, http_server, fake_llm):
    """One real Celery worker process for the session. It may reach the test HTTP server
    and the fake model provider (and nothing else on loopback)."""
    allow = f"127.0.0.1:{http_server.port},127.0.0.1:{fake_llm.port}"
    process = Worker(
        "worker",
        BATON_HTTP_ALLOW=allow,
        # Run callbacks retry quickly here (the default waits 10 s, then doubles).
        BATON_CALLBACK_BACKOFF_SECONDS="0.3",
        # Low enough that a runaway tree of child runs is stopped in seconds.
        BATON_MAX_CHILD_RUNS="200",
        BATON_CALLBACK_MAX_ATTEMPTS="3",
        **AI_WORKER_ENV,
    ).start()
    yield process
    process.stop()


@pytest.fixture
def running(worker, transactional_db):
    """For tests that start runs: a worker, and a database whose commits it can see. Runs a
    test leaves going are cancelled afterwards, so the worker is not in the middle of one
    while the tables are emptied (PostgreSQL's TRUNCATE can deadlock with it)."""
    yield worker
    settle_runs()


@pytest.fixture(scope="session")
def web_server(django_db_setup, django_db_blocker, worker):
    # The API fuzz sends hundreds of requests a minute with one key.
    server = WebServer(
        BATON_API_KEY_RATE="1000000/minute", BATON_TRIGGER_JUNK_RATE="1000000/minute"
    ).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_http_server_state(request):
    if "http_server" in request.fixturenames:
        server = request.getfixturevalue("http_server")
        server.requests.clear()
        server.counters.clear()
        server.received.clear()
    if "fake_llm" in request.fixturenames:
        request.getfixturevalue("fake_llm").reset()
