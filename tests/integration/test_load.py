"""Many clients at once against queue mode, PostgreSQL at its default connection limit: 64
clients start 500 runs over the API (`make web`'s server, the session's worker). Every
answer is a 2xx, or a JSON 503 with Retry-After that succeeds when sent again; every run
ends; none is lost or made twice; Baton's database connections stay within its pools."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from django.conf import settings
from django.db import connection

from accounts.models import ApiKey
from orchestrator_site.web import process_count
from runs.core import engine
from runs.models import NodeRun, Run
from tests.helpers import edge, graph, make_flow, node

pytestmark = [pytest.mark.queue_only]

CLIENTS = 64
RUNS = 500


def echo_and_call_graph(http_server) -> dict:
    return graph(
        [node("in", "input", key="name"), node("t", "template", template="Hello {{ input }}"),
         node("call", "http", url=http_server.url + "/json?n={{ input }}"), node("out", "output", key="greeting")],
        [edge("in", "t"), edge("t", "call"), edge("call", "out")],
    )


class ConnectionCount:
    """The most connections to the test database seen while it runs (another connection)."""

    def __init__(self) -> None:
        self.most = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        import psycopg

        db = connection.settings_dict
        with psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432,
                             user=db["USER"] or "postgres", dbname="postgres", autocommit=True) as admin:
            while not self._stop.is_set():
                (count,) = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                                         [db["NAME"]]).fetchone()
                self.most = max(self.most, count)
                time.sleep(0.05)

    def __enter__(self) -> ConnectionCount:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)


def test_64_clients_start_500_runs(running, web_server, alice, http_server):
    flow = make_flow(alice, echo_and_call_graph(http_server))
    _key, raw = ApiKey.issue(alice, "load")
    left = iter(range(RUNS))
    lock = threading.Lock()
    run_ids: list[str] = []
    problems: list[str] = []
    retried = 0

    def client() -> None:
        nonlocal retried
        with httpx.Client(base_url=web_server.url, timeout=60,
                          headers={"Authorization": f"Bearer {raw}"}) as api:
            while True:
                with lock:
                    n = next(left, None)
                if n is None:
                    return
                for _attempt in range(20):
                    answer = api.post(f"/api/flows/{flow.id}/runs/", json={"inputs": {"name": f"c{n}"}})
                    if answer.status_code == 503 and answer.headers.get("Retry-After"):
                        with lock:
                            retried += 1
                        time.sleep(min(int(answer.headers["Retry-After"]), 2))
                        continue
                    break
                with lock:
                    if answer.status_code == 201 and answer.headers["content-type"].startswith("application/json"):
                        run_ids.append(answer.json()["id"])
                    else:
                        problems.append(f"{answer.status_code} {answer.text[:200]}")

    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        (limit,) = cursor.fetchone()
    with ConnectionCount() as connections:
        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert problems == []
        assert len(run_ids) == RUNS == len(set(run_ids))
        deadline = time.monotonic() + 120
        while Run.objects.filter(pk__in=run_ids, status__in=engine.ACTIVE_RUN_STATUSES).exists():
            assert time.monotonic() < deadline, "runs still going 120 s after the last start"
            time.sleep(0.5)

    assert Run.objects.filter(pk__in=run_ids, status=engine.SUCCEEDED).count() == RUNS
    assert Run.objects.filter(flow=flow).count() == RUNS  # none made twice
    calls = [r["query"]["n"] for r in http_server.requests if r["path"] == "/json"]
    assert sorted(calls) == sorted(f"Hello c{n}" for n in range(RUNS))  # each run's call once
    assert NodeRun.objects.filter(run_id__in=run_ids, attempts__gt=1).count() == 0
    # One web server (its processes) and one worker, each within its pool, plus this
    # test's own connections; far under the server's limit.
    bound = settings.BATON_DB_POOL_SIZE * (process_count() + 1) + 5
    assert connections.most <= bound < int(limit), (connections.most, bound, limit)
