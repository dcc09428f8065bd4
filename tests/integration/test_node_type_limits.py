"""One dependency that stops answering must not stall other work: a worker runs at most
BATON_NODE_TYPE_LIMITS nodes of one type at once (runs.worker.slots), so http nodes stuck on
an endpoint that accepts and never replies leave threads for the rest."""

from __future__ import annotations

import socket
import time

import pytest

from runs.core import engine
from tests.helpers import edge, graph, node
from tests.services import Installation

pytestmark = [pytest.mark.queue_only]


@pytest.fixture
def black_hole():
    """Accepts connections (the kernel does, into its backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"127.0.0.1:{sock.getsockname()[1]}"


def test_stuck_http_nodes_leave_threads_for_other_node_types(transactional_db, black_hole):
    own = Installation(
        "limits", BATON_WORKER_CONCURRENCY="4", BATON_NODE_TYPE_LIMITS="http=2",
        BATON_ALLOW_CODE="1", BATON_HTTP_ALLOW=black_hole,
    ).start()
    try:
        with own.api() as api:
            stuck_flow = api.post("/api/flows/", json={"name": "stuck", "graph": graph(
                [node("in", "input"), node("call", "http", url=f"http://{black_hole}/", timeout=60),
                 node("out", "output")],
                [edge("in", "call"), edge("call", "out")],
            )}).json()
            quick_flow = api.post("/api/flows/", json={"name": "quick", "graph": graph(
                [node("in", "input", key="x"), node("add", "code", code="def main(input):\n    return input + 1"),
                 node("out", "output", key="y")],
                [edge("in", "add"), edge("add", "out")],
            )}).json()
            stuck = [api.post(f"/api/flows/{stuck_flow['id']}/runs/", json={"inputs": {}}).json()["id"]
                     for _ in range(6)]
            deadline = time.monotonic() + 10
            while own.query("SELECT count(*) FROM runs_noderun WHERE type = 'http' AND status = 'running'")[0][0] < 2:
                assert time.monotonic() < deadline, "the http nodes never started"
                time.sleep(0.1)

            began = time.monotonic()
            quick = api.post(f"/api/flows/{quick_flow['id']}/runs/?wait=30", json={"inputs": {"x": 41}})
            assert quick.status_code == 201 and quick.json()["status"] == engine.SUCCEEDED, quick.text
            assert quick.json()["outputs"] == {"y": 42}
            assert time.monotonic() - began < 10
            # Never more than the limit of http nodes at once; the rest wait queued.
            running, queued = own.query(
                "SELECT count(*) FILTER (WHERE status = 'running'), count(*) FILTER (WHERE status = 'queued') "
                "FROM runs_noderun WHERE type = 'http'")[0]
            assert (running, queued) == (2, 4)
            for run_id in stuck:
                assert api.post(f"/api/runs/{run_id}/cancel/").status_code == 200
    finally:
        own.stop()
