"""Load scenarios of `make bench`: nodes that call a real local HTTP server, the echo flow
over the API from many clients at once (against the old way of starting runs, measured in
the same run), PostgreSQL connections held meanwhile, and memory over 10,000 runs."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


# --- Nodes doing HTTP -------------------------------------------------------------------------


def http_chain_graph(url: str, length: int) -> dict:
    from tests.helpers import edge, graph, node

    nodes = [node(f"h{i}", "http", url=url) for i in range(length)]
    edges = [edge(f"h{i}", f"h{i + 1}") for i in range(length - 1)]
    return graph(nodes, edges)


def parallel_http_graph(url: str, width: int) -> dict:
    from tests.helpers import edge, graph, node

    nodes = [node("in", "input"), node("join", "merge"), node("out", "output")]
    edges = [edge("join", "out")]
    for i in range(width):
        nodes.append(node(f"h{i}", "http", url=url))
        edges += [edge("in", f"h{i}"), edge(f"h{i}", "join")]
    return graph(nodes, edges)


def raw_http_chain(redis_client, url: str, length: int) -> float:
    """A raw Celery chain of `length` tasks each making the same HTTP call, on a reused
    client: the baseline of the HTTP chain."""
    from celery import chain

    from bench.tasks import done, http_get

    key = f"bench:done:{uuid.uuid4().hex}"
    began = time.time()
    chain(*[http_get.si(url) for _ in range(length)], done.si(key)).apply_async()
    _, finished = redis_client.blpop(key, timeout=300)
    return float(finished) - began


def run_seconds(bench, flow, inputs: dict | None = None) -> float:
    began, run = bench.run_and_wait(flow, inputs)
    return run.finished_at.timestamp() - began


# --- The echo flow over the API -----------------------------------------------------------------


def echo_graph() -> dict:
    from tests.helpers import edge, graph, node

    return graph(
        [node("in", "input", key="name"), node("t", "template", template="Hello {{ input }}"),
         node("out", "output", key="greeting")],
        [edge("in", "t"), edge("t", "out")],
    )


class ConnectionWatch:
    """The most PostgreSQL connections to the bench database seen while it runs."""

    def __init__(self, database: str | None):
        self.database = database
        self.most = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> ConnectionWatch:
        if self.database:
            self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _loop(self) -> None:
        import psycopg

        with psycopg.connect(os.environ["BENCH_ADMIN_URL"], autocommit=True) as conn:
            while not self._stop.is_set():
                (count,) = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [self.database]
                ).fetchone()
                self.most = max(self.most, count)
                time.sleep(0.05)


def echo_load(url: str, key: str, flow_id: int, clients: int, requests: int,
              database: str | None = None) -> dict:
    """`clients` threads, each with its own keep-alive connection, start `requests` echo runs
    in all (?wait=10), retrying a 503 after its Retry-After. Every answer is counted."""
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    retried = 0
    lock = threading.Lock()
    left = iter(range(requests))

    def client_loop() -> None:
        nonlocal retried
        with httpx.Client(base_url=url, timeout=30,
                          headers={"Authorization": f"Bearer {key}"}) as http:
            while True:
                with lock:
                    n = next(left, None)
                if n is None:
                    return
                began = time.perf_counter()
                while True:
                    answer = http.post(f"/api/flows/{flow_id}/runs/?wait=10",
                                       json={"inputs": {"name": f"n{n}"}})
                    with lock:
                        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
                    if answer.status_code == 503 and answer.headers.get("Retry-After"):
                        with lock:
                            retried += 1
                        time.sleep(min(float(answer.headers["Retry-After"]), 1.0))
                        continue
                    break
                elapsed = time.perf_counter() - began
                body = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
                with lock:
                    if answer.status_code != 201 or body.get("status") != "succeeded":
                        errors.append(f"{answer.status_code} {str(body)[:200]}")
                    latencies.append(elapsed * 1000)

    with ConnectionWatch(database) as watch:
        began = time.perf_counter()
        threads = [threading.Thread(target=client_loop) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - began
    return {
        "clients": clients,
        "requests": requests,
        "errors": len(errors),
        "first_errors": errors[:3],
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "retried_503": retried,
        "runs_per_second": round(requests / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.5), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_db_connections": watch.most if database else None,
    }


def single_latency(url: str, key: str, flow_id: int, count: int = 200) -> dict:
    """One client, one request at a time: the latency of the echo flow."""
    import httpx

    times = []
    with httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {key}"}) as http:
        for n in range(count):
            began = time.perf_counter()
            answer = http.post(f"/api/flows/{flow_id}/runs/?wait=10", json={"inputs": {"name": str(n)}})
            times.append((time.perf_counter() - began) * 1000)
            if answer.status_code != 201 or answer.json()["status"] != "succeeded":
                raise RuntimeError(f"echo run failed: {answer.status_code} {answer.text[:200]}")
    return {"p50_ms": round(percentile(times, 0.5), 2), "p99_ms": round(percentile(times, 0.99), 2)}


# --- Memory of a local-mode install --------------------------------------------------------------


def tree_pss(pid: int) -> int:
    import psutil

    root = psutil.Process(pid)
    total = 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def local_mode_memory(runs: int = 10_000, clients: int = 8, say: Callable[[str], None] = print) -> dict:
    """`make run` in a temporary data dir: its processes' total PSS idle, and every tenth of
    `runs` echo runs; the trend over the second half says whether memory keeps growing."""
    import httpx

    from tests.services import free_port

    data_dir = tempfile.mkdtemp(prefix="baton-bench-local-")
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BATON_", "DATABASE_URL", "REDIS_URL", "DJANGO_"))}
    env.update(BATON_DATA_DIR=data_dir, PORT=str(port), BATON_DEMO_PASSWORD="bench-pass-123")
    launcher = subprocess.Popen([sys.executable, "-m", "orchestrator_site.local"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = launcher.stdout.readline()
            if "Press Ctrl-C to stop" in line:
                break
            if not line and launcher.poll() is not None:
                raise RuntimeError("the local launcher stopped")
        url = f"http://127.0.0.1:{port}"
        key = subprocess.run(
            [sys.executable, "manage.py", "create_api_key", "demo"], cwd=ROOT, capture_output=True,
            text=True, check=True, env={**env, "BATON_DATA_DIR": data_dir},
        ).stdout.strip().splitlines()[-1]
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
            flow_id = http.post("/api/flows/", json={"name": "echo", "graph": echo_graph()}).json()["id"]
        time.sleep(3)
        samples = [tree_pss(launcher.pid)]
        step = runs // 10
        for _ in range(10):
            echo_load(url, key, flow_id, clients, step)
            samples.append(tree_pss(launcher.pid))
        say(f"local-mode PSS (MB): {[round(s / 2**20, 1) for s in samples]}")
        second_half = samples[5:]
        slope = statistics.linear_regression(range(len(second_half)), second_half).slope
        return {
            "runs": runs,
            "idle_mb": round(samples[0] / 2**20, 1),
            "after_mb": round(samples[-1] / 2**20, 1),
            "growth_per_1000_runs_last_half_mb": round(slope / 2**20 * (1000 / step), 2),
        }
    finally:
        launcher.send_signal(2)
        try:
            launcher.wait(60)
        except subprocess.TimeoutExpired:
            launcher.kill()
