"""Faults caused on an installation of the test's own (tests.services.Installation: its own
database and Redis, a worker and a web server on them): Redis killed and started again
empty, as a Redis without persistence comes back; PostgreSQL (a cluster of the test's own)
stopped and started again.

What must hold: the API answers 201 or a JSON 503 with Retry-After (never a 500); a run
started while Redis is away starts when it returns; the worker survives; work lost with
Redis's data is sent again within seconds; nothing runs twice.
"""

from __future__ import annotations

import time

import pytest

from runs.core import engine
from tests.helpers import edge, graph, node
from tests.services import Installation, OwnPostgres

pytestmark = [pytest.mark.queue_only]


def http_graph(http_server, path: str = "/json?n={{ input }}") -> dict:
    return graph(
        [node("in", "input", key="name"), node("call", "http", url=http_server.url + path),
         node("out", "output", key="answer")],
        [edge("in", "call"), edge("call", "out")],
    )


def wait_until_called(http_server, path: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not any(r["path"] == path for r in http_server.requests):
        assert time.monotonic() < deadline, f"{path} was never called"
        time.sleep(0.05)


@pytest.fixture
def installation(transactional_db, http_server, request):
    pool = getattr(request, "param", "threads")
    own = Installation(f"faults_{pool}", BATON_HTTP_ALLOW=f"127.0.0.1:{http_server.port}")
    try:
        yield own.start(BATON_WORKER_POOL=pool)
    finally:
        own.stop()


def wait_all_ended(own: Installation, run_ids: list[str], timeout: float) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        rows = own.query("SELECT id::text, status FROM runs_run WHERE id::text = ANY(%s)", (run_ids,))
        statuses = dict(rows)
        if len(statuses) == len(run_ids) and all(s not in engine.ACTIVE_RUN_STATUSES for s in statuses.values()):
            return statuses
        if time.monotonic() > deadline:
            return statuses
        time.sleep(0.2)


@pytest.mark.parametrize("installation", ["threads", "prefork"], indirect=True)
def test_a_redis_restart_loses_no_run_and_no_worker(installation, http_server):
    own = installation
    with own.api() as api:
        flow = api.post("/api/flows/", json={"name": "calls", "graph": http_graph(http_server)}).json()
        first = api.post(f"/api/flows/{flow['id']}/runs/?wait=20", json={"inputs": {"name": "before"}})
        assert first.status_code == 201 and first.json()["status"] == "succeeded", first.text
        # A node in the middle of its call when Redis goes: its task is unacknowledged.
        slow_flow = api.post("/api/flows/", json={
            "name": "slow", "graph": http_graph(http_server, "/slow?seconds=3")}).json()
        slow = api.post(f"/api/flows/{slow_flow['id']}/runs/", json={"inputs": {}}).json()
        wait_until_called(http_server, "/slow")

        own.kill_redis()
        started = []
        for n in range(6):
            answer = api.post(f"/api/flows/{flow['id']}/runs/", json={"inputs": {"name": f"during{n}"}})
            assert answer.headers["content-type"].startswith("application/json"), answer.text[:300]
            if answer.status_code == 201:
                started.append(answer.json()["id"])
            else:
                assert answer.status_code == 503, answer.text
                assert int(answer.headers["Retry-After"]) >= 1
        assert started, "every start was refused while Redis was away"
        (runs_before,) = own.query("SELECT count(*) FROM runs_run")[0]
        time.sleep(1)
        time.sleep(2)
        own.start_redis()  # empty: what it held is gone

        statuses = wait_all_ended(own, [*started, slow["id"]], timeout=30)
        assert set(statuses.values()) == {engine.SUCCEEDED}, statuses
        assert own.workers[0].process.poll() is None, "the worker exited when Redis went away"
        after = api.post(f"/api/flows/{flow['id']}/runs/?wait=20", json={"inputs": {"name": "after"}})
        assert after.status_code == 201 and after.json()["status"] == "succeeded", after.text
        assert own.query("SELECT count(*) FROM runs_run")[0][0] == runs_before + 1  # refusals made nothing
    # Nothing ran twice: one call per run.
    names = [api_name for (api_name,) in own.query(
        "SELECT inputs->>'name' FROM runs_run WHERE id::text = ANY(%s)", (started,))]
    calls = [r["query"]["n"] for r in http_server.requests if r["path"] == "/json"]
    assert sorted(calls) == sorted(["before", "after", *names])
    assert len([r for r in http_server.requests if r["path"] == "/slow"]) == 1


@pytest.fixture
def own_postgres():
    try:
        cluster = OwnPostgres().init()
    except (FileNotFoundError, RuntimeError) as exc:
        pytest.skip(f"cannot run a PostgreSQL cluster of our own here: {exc}")
    yield cluster
    cluster.destroy()


def test_postgresql_away_answers_503_and_everything_resumes_when_it_returns(
    transactional_db, http_server, own_postgres
):
    own = Installation(
        "pgdown", admin_url=own_postgres.admin_url, BATON_DB_POOL_TIMEOUT="2",
        BATON_HTTP_ALLOW=f"127.0.0.1:{http_server.port}",
    ).start()
    try:
        with own.api() as api:
            flow = api.post("/api/flows/", json={
                "name": "slow", "graph": http_graph(http_server, "/slow?seconds=2&n={{ input }}")}).json()
            in_flight = [api.post(f"/api/flows/{flow['id']}/runs/", json={"inputs": {"name": f"r{n}"}}).json()["id"]
                         for n in range(3)]
            wait_until_called(http_server, "/slow")

            own_postgres.stop()
            for path, method in (("/api/flows/", "get"), (f"/api/flows/{flow['id']}/runs/", "post"),
                                 ("/api/runs/", "get")):
                answer = getattr(api, method)(path, **({"json": {"inputs": {}}} if method == "post" else {}))
                assert answer.status_code == 503, (path, answer.status_code, answer.text[:300])
                assert answer.headers["content-type"].startswith("application/json")
                assert answer.json()["component"] == "database"
                assert int(answer.headers["Retry-After"]) >= 1
            time.sleep(3)
            own_postgres.start()
            back = time.monotonic()
            while api.get("/api/flows/").status_code != 200:
                assert time.monotonic() - back < 10, "the API did not recover within 10 s"
                time.sleep(0.2)

            statuses = wait_all_ended(own, in_flight, timeout=40)
            assert set(statuses.values()) == {engine.SUCCEEDED}, statuses
            assert all(worker.process.poll() is None for worker in own.workers)
            after = api.post(f"/api/flows/{flow['id']}/runs/?wait=20", json={"inputs": {"name": "after"}})
            assert after.status_code == 201 and after.json()["status"] == "succeeded", after.text
        # A call whose outcome could not be written while the database was away may be made
        # again (at-least-once), and then with the same Idempotency-Key.
        keys: dict[str, set[str]] = {}
        for request in http_server.requests:
            if request["path"] == "/slow":
                keys.setdefault(request["query"]["n"], set()).add(request.get("idempotency_key", ""))
        assert set(keys) == {"r0", "r1", "r2", "after"}
        assert all(len(found) == 1 for found in keys.values()), keys
    finally:
        own.stop()


def test_a_delay_whose_wake_up_died_with_its_worker_ends_seconds_late(installation):
    """The wake-up of a 1 s delay is a timed task held by a worker; killed with it, it
    stays unacknowledged in Redis for the visibility timeout (an hour). Another worker's
    sweep wakes the node BATON_WAKE_GRACE_SECONDS after it was due."""
    own = installation
    with own.api() as api:
        flow = api.post("/api/flows/", json={"name": "wait", "graph": graph(
            [node("in", "input"), node("pause", "delay", seconds=1), node("out", "output")],
            [edge("in", "pause"), edge("pause", "out")],
        )}).json()
        began = time.monotonic()
        run = api.post(f"/api/flows/{flow['id']}/runs/", json={"inputs": {}}).json()
        assert run["status"] == engine.WAITING
        time.sleep(0.5)  # the wake-up has reached the worker by now
        own.workers[0].kill()
        own.workers.append(own.worker("own-b").start())
        statuses = wait_all_ended(own, [run["id"]], timeout=20)
        assert statuses == {run["id"]: engine.SUCCEEDED}
        assert time.monotonic() - began < 10  # due at 1 s, woken by ~4-5 s (not after 60 s)
