"""`make bench`: the run engine measured against raw Celery, on this machine, in one run.

Every figure is taken in the same run against the same Redis and database, and the last
line printed is one JSON object of all of them. Queue mode (PostgreSQL) is used when it is
reachable, else local mode (SQLite and an embedded Redis); BENCH_MODE forces one.

Why one module of this size: each scenario is a short function over the same services,
timers and baseline helpers (bench/load.py holds the concurrent-client part), and reading
them side by side is how one sees that every figure has its baseline.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname, parsed.port or default_port), timeout=2).close()
        return True
    except OSError:
        return False


def configure_environment() -> str:
    tag = f"bench{os.getpid()}"
    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    mode = os.environ.get("BENCH_MODE") or ("queue" if reachable(database_url, 5432) else "local")
    data_dir = tempfile.mkdtemp(prefix="baton-bench-")
    os.environ.update(
        BATON_DATA_DIR=data_dir,
        BATON_SECRET_KEY="bench-only-secret-key-0123456789abcdefghijklmnopqrstu",
        BATON_CREDENTIALS_KEY="YmVuY2gtb25seS1jcmVkZW50aWFscy1rZXktMDEyMzQ=",
        BATON_QUEUE=tag,
        BATON_CHANNEL_PREFIX=tag,
        BATON_BROKER_KEYPREFIX=f"{tag}:",
        BATON_NODE_PLUGINS="bench.nodes",
        BATON_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="orchestrator_site.settings",
    )
    if mode == "queue":
        base = urlparse(database_url)
        os.environ["DATABASE_URL"] = base._replace(path=f"/baton_{tag}").geturl()
        os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    else:
        os.environ.pop("DATABASE_URL", None)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        os.environ["BENCH_START_REDIS"] = str(port)
    return mode


def create_database(mode: str) -> None:
    if mode != "queue":
        return
    import psycopg

    url = urlparse(os.environ["DATABASE_URL"])
    admin = url._replace(path="/postgres").geturl()
    os.environ["BENCH_ADMIN_URL"] = admin
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.path[1:]}"')
        conn.execute(f'CREATE DATABASE "{url.path[1:]}"')


def drop_database(mode: str) -> None:
    if mode != "queue":
        return
    import psycopg
    from django.db import connections

    connections.close_all()
    url = urlparse(os.environ["DATABASE_URL"])
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.path[1:]}" WITH (FORCE)')


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- Scenarios ----------------------------------------------------------------------------


class Bench:
    def __init__(self, user):
        import redis
        from django.conf import settings

        self.user = user
        self.redis = redis.Redis.from_url(settings.REDIS_URL)

    def flow(self, graph: dict, name: str):
        from tests.helpers import make_flow

        return make_flow(self.user, graph, name=name)

    def run_and_wait(self, flow, inputs=None, timeout: float = 120.0):
        from runs.models import Run
        from runs.services import do_start_run, wait_for_run

        began = time.time()
        run = do_start_run(flow=flow, user=self.user, inputs=inputs or {}, trigger="bench")
        # Block on the run's end notice (as the baseline blocks on BLPOP): polling the
        # database here would load the very machine being measured.
        wait_for_run(run, timeout)
        current = Run.objects.get(pk=run.pk)
        if current.status != "succeeded":
            raise RuntimeError(f"bench run ended {current.status}: {current.error}")
        return began, current

    def raw_celery_chain(self, length: int) -> float:
        from celery import chain

        from bench.tasks import done, noop

        key = f"bench:done:{uuid.uuid4().hex}"
        began = time.time()
        chain(*[noop.si() for _ in range(length)], done.si(key)).apply_async()
        _, finished = self.redis.blpop(key, timeout=120)
        return float(finished) - began

    def queued_chain(self, flow) -> float:
        began, run = self.run_and_wait(flow)
        return run.finished_at.timestamp() - began

    def inline_chain(self, flow, length: int) -> tuple[float, float]:
        began, run = self.run_and_wait(flow)
        engine_ms = (run.finished_at - run.started_at).total_seconds() * 1000
        return engine_ms / length, (run.finished_at.timestamp() - began) * 1000


def chain_of(length: int, type_: str, **config) -> dict:
    from tests.helpers import edge, graph, node

    nodes = [node(f"n{i}", type_, **config) for i in range(length)]
    edges = [edge(f"n{i}", f"n{i + 1}") for i in range(length - 1)]
    return graph(nodes, edges)


def fan_out(width: int) -> dict:
    from tests.helpers import edge, graph, node

    nodes = [node("root", "bench.noop"), node("join", "merge"), node("out", "output")]
    edges = [edge("join", "out")]
    for i in range(width):
        nodes.append(node(f"b{i}", "bench.noop"))
        edges += [edge("root", f"b{i}"), edge(f"b{i}", "join")]
    return graph(nodes, edges)


def five_nodes() -> dict:
    from tests.helpers import edge, graph, node

    return graph(
        [node("in", "input"), node("a", "bench.noop"), node("t", "template", template="{{ input }}"),
         node("b", "bench.noop"), node("out", "output")],
        [edge("in", "a"), edge("a", "t"), edge("t", "b"), edge("b", "out")],
    )


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def event_latencies(
    bench: Bench, web_url: str, key: str, node_type: str, runs: int = 4, length: int = 50, **config
) -> tuple[list[float], list[float]]:
    """Two clocks for each node.status succeeded event read by a websocket client: from
    the node's finished_at (stamped inside its step, before the step's flush and commit),
    and from the moment the committed batch was pushed (sent_at)."""
    import asyncio
    from datetime import datetime

    import websockets

    from runs.services import do_start_run
    from tests.helpers import edge, graph, node

    nodes = [node("wait", "delay", seconds=0.3)] + [node(f"n{i}", node_type, **config) for i in range(length)]
    edges = [edge("wait", "n0")] + [edge(f"n{i}", f"n{i + 1}") for i in range(length - 1)]
    flow = bench.flow(graph(nodes, edges), f"latency {node_type}")
    from_finish: list[float] = []
    from_push: list[float] = []
    for _ in range(runs):
        run = do_start_run(flow=flow, user=bench.user, inputs={}, trigger="bench")

        async def watch(run=run):
            uri = web_url.replace("http", "ws") + f"/ws/runs/{run.id}/"
            async with websockets.connect(uri, additional_headers={"Authorization": f"Bearer {key}"}) as ws:
                while True:
                    event = json.loads(await asyncio.wait_for(ws.recv(), 60))
                    received = time.time()
                    if (event.get("type") == "node.status" and event["status"] == "succeeded"
                            and event["node_id"].startswith("n")):
                        finished = datetime.fromisoformat(event["finished_at"]).timestamp()
                        from_finish.append((received - finished) * 1000)
                        from_push.append((received - event["sent_at"]) * 1000)
                    if event.get("type") == "run.status" and event["status"] == "succeeded":
                        return

        asyncio.run(watch())
    return from_finish, from_push


def latency_figures(from_finish: list[float], from_push: list[float]) -> dict:
    return {
        "samples": len(from_finish),
        "p50": round(percentile(from_finish, 0.50), 3),
        "p99": round(percentile(from_finish, 0.99), 3),
        "from_push_p50": round(percentile(from_push, 0.50), 3),
        "from_push_p99": round(percentile(from_push, 0.99), 3),
    }


def concurrent_runs(bench: Bench, count: int = 200) -> dict:
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from runs.models import Run
    from runs.services import do_start_run

    flow = bench.flow(five_nodes(), "five")

    def start(_):
        try:
            return do_start_run(flow=flow, user=bench.user, inputs={}, trigger="bench").pk
        finally:
            connection.close()

    began = time.time()
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(start, range(count)))
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        active = Run.objects.filter(pk__in=ids, status__in=["pending", "running", "waiting"]).count()
        if not active:
            break
        time.sleep(0.05)
    runs = Run.objects.filter(pk__in=ids)
    succeeded = runs.filter(status="succeeded").count()
    last = max(r.finished_at.timestamp() for r in runs if r.finished_at)
    return {
        "runs": count,
        "succeeded": succeeded,
        "lost": count - succeeded,
        "seconds": round(last - began, 3),
        "runs_per_second": round(count / (last - began), 1),
    }


def http_scenarios(bench, results: dict, http_server) -> None:
    from bench import load

    fast_url = http_server.url + "/json"
    say("100 chained HTTP nodes vs a raw Celery chain of the same 100 calls")
    chain = bench.flow(load.http_chain_graph(fast_url, 100), "http chain")
    load.raw_http_chain(bench.redis, fast_url, 10)
    load.run_seconds(bench, chain)
    raw, ours = [], []
    for _ in range(REPEATS):
        raw.append(load.raw_http_chain(bench.redis, fast_url, 100))
        ours.append(load.run_seconds(bench, chain))
    results["http_chain_100"] = {
        "raw_celery_ms": round(median(raw) * 1000, 1),
        "baton_ms": round(median(ours) * 1000, 1),
        "baton_ms_per_node": round(median(ours) * 10, 2),
        "ratio": round(median(ours) / median(raw), 3),
        "target_ratio": 0.5,
    }
    for width, target in ((20, 0.8), (64, 1.2)):
        say(f"{width} parallel HTTP nodes each waiting 0.5 s")
        flow = bench.flow(load.parallel_http_graph(http_server.url + "/slow?seconds=0.5", width),
                          f"{width} parallel")
        times = [load.run_seconds(bench, flow) for _ in range(max(2, REPEATS // 2))]
        results[f"parallel_http_{width}"] = {"seconds": round(median(times), 3), "target_seconds": target}


def recording_scenario(bench, results: dict, http_server, worker, allow: str):
    """The cost of recording every exchange (runs.recordings): the 100-node HTTP chain with
    the worker recording (the default) and with BATON_RECORDING=0, in turns. Returns the
    worker to go on with (a recording one, as shipped)."""
    from bench import load
    from tests.services import Worker

    say("100 chained HTTP nodes, recording their exchanges and not")
    chain = bench.flow(load.http_chain_graph(http_server.url + "/json", 100), "http chain recorded")
    on, off = [], []
    for _ in range(max(2, REPEATS // 2)):
        load.run_seconds(bench, chain)
        on.extend(load.run_seconds(bench, chain) for _ in range(2))
        worker.stop()
        worker = Worker("bench-worker", include="bench.tasks", BATON_HTTP_ALLOW=allow, BATON_RECORDING="0").start()
        load.run_seconds(bench, chain)
        off.extend(load.run_seconds(bench, chain) for _ in range(2))
        worker.stop()
        worker = Worker("bench-worker", include="bench.tasks", BATON_HTTP_ALLOW=allow).start()
    results["recording_http_chain_100"] = {
        "recording_ms": round(median(on) * 1000, 1),
        "not_recording_ms": round(median(off) * 1000, 1),
        "ratio": round(median(on) / median(off), 3),
        "target_ratio": 1.1,
    }
    return worker


def echo_scenarios(bench, results: dict, web_url: str, old_web_url: str, key: str, mode: str) -> None:
    from bench import load

    database = os.environ["DATABASE_URL"].rsplit("/", 1)[1] if mode == "queue" else None
    echo = bench.flow(load.echo_graph(), "echo")
    say("the echo flow over the API, one request at a time")
    load.single_latency(web_url, key, echo.id, 20)
    load.single_latency(old_web_url, key, echo.id, 20)
    results["echo_latency_ms"] = {
        "before": load.single_latency(old_web_url, key, echo.id, 100),
        "after": load.single_latency(web_url, key, echo.id, 200),
        "target_p50_ms": 10.0,
    }
    for clients, requests in ((16, 500), (64, 1000)):
        say(f"the echo flow over the API, {clients} clients")
        before = load.echo_load(old_web_url, key, echo.id, clients, requests, database)
        after = load.echo_load(web_url, key, echo.id, clients, requests, database)
        results[f"echo_{clients}_clients"] = {
            "before": before,
            "after": after,
            "throughput_ratio": round(after["runs_per_second"] / before["runs_per_second"], 2),
            "target_ratio": 3.0,
            "target_runs_per_second": 150 if clients == 16 else None,
            "target_max_db_connections": 30 if clients == 64 else None,
        }


def engine_scenarios(bench, results: dict, web_url: str, raw_key: str) -> None:
    chain_flow = bench.flow(chain_of(100, "bench.noop"), "queued chain")
    inline_flow = bench.flow(chain_of(100, "template", template="{{ input }}"), "inline chain")
    fan_flow = bench.flow(fan_out(200), "fan out")
    say("warming up")
    bench.raw_celery_chain(20)
    bench.queued_chain(chain_flow)
    bench.inline_chain(inline_flow, 100)

    say("100-node queued chain vs a raw Celery chain of 100 tasks")
    raw, ours = [], []
    for _ in range(REPEATS):  # interleaved, so drift hits both alike
        raw.append(bench.raw_celery_chain(100))
        ours.append(bench.queued_chain(chain_flow))
    results["queued_chain"] = {
        "raw_celery_ms": round(median(raw) * 1000, 1),
        "baton_ms": round(median(ours) * 1000, 1),
        "ratio": round(median(ours) / median(raw), 3),
        "target_ratio": 1.0,
    }

    say("100-node inline chain")
    per_node, end_to_end = zip(*(bench.inline_chain(inline_flow, 100) for _ in range(REPEATS)), strict=True)
    results["inline_chain"] = {
        "ms_per_node": round(median(per_node), 4),
        "end_to_end_ms": round(median(end_to_end), 1),
        "target_ms_per_node": 0.3,
    }

    say("fan-out 1 → 200 → 1")
    fan = [bench.queued_chain(fan_flow) for _ in range(max(2, REPEATS // 2))]
    results["fan_out_200"] = {"ms": round(median(fan) * 1000, 1),
                              "ms_per_node": round(median(fan) * 1000 / 202, 3)}

    say("node finished → websocket client latency")
    # Nodes that take ~20 ms each, like nodes doing I/O: what a watcher sees.
    results["event_latency_ms"] = {
        **latency_figures(*event_latencies(bench, web_url, raw_key, "bench.sleep", ms=20)),
        "workload": "50-node chain of 20 ms queued nodes",
        "target_p50": 2.0,
        "target_p99": 10.0,
    }
    # Back-to-back no-op nodes keep both cores busy: the same figures under saturation.
    results["event_latency_saturated_ms"] = {
        **latency_figures(*event_latencies(bench, web_url, raw_key, "bench.noop")),
        "workload": "50-node chain of no-op queued nodes (both cores busy)",
    }


def wanted(name: str) -> bool:
    """BENCH_ONLY=a,b runs only those scenario groups (while working on one)."""
    only = os.environ.get("BENCH_ONLY", "")
    return not only or name in only.split(",")


def main() -> None:
    mode = configure_environment()
    sys.path.insert(0, str(ROOT))
    redis_process = None
    if os.environ.get("BENCH_START_REDIS"):
        from tests.services import start_redis_server

        redis_process = start_redis_server(int(os.environ["BENCH_START_REDIS"]), os.environ["BATON_DATA_DIR"])
    create_database(mode)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from accounts.models import ApiKey
    from tests.services import WebServer, Worker

    say(f"bench: {mode} mode, {os.cpu_count()} cores; migrating")
    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench", password="bench")
    _key, raw_key = ApiKey.issue(user, "bench")
    from tests.services import TestHttpServer

    http_server = TestHttpServer().start()
    allow = f"127.0.0.1:{http_server.port}"
    os.environ["BATON_HTTP_ALLOW"] = allow
    from django.conf import settings as django_settings

    django_settings.BATON_HTTP_ALLOW = [allow]
    # The default worker (threads), a web server as shipped, and one that starts every run
    # through the broker (the old way): "before" and "after" in the same run.
    worker = Worker("bench-worker", include="bench.tasks", BATON_HTTP_ALLOW=allow).start()
    web = WebServer(BATON_API_KEY_RATE="1000000/minute").start()
    old_web = WebServer(BATON_API_KEY_RATE="1000000/minute", BATON_START_IN_WORKER="1").start()
    results: dict = {"mode": mode, "cores": os.cpu_count(), "repeats": REPEATS}
    try:
        bench = Bench(user)
        if wanted("http"):
            http_scenarios(bench, results, http_server)
        if wanted("recording"):
            worker = recording_scenario(bench, results, http_server, worker, allow)
        if wanted("echo"):
            echo_scenarios(bench, results, web.url, old_web.url, raw_key, mode)
        if wanted("engine"):
            engine_scenarios(bench, results, web.url, raw_key)
        if wanted("concurrent"):
            say("200 concurrent runs of a 5-node flow")
            results["concurrent_runs"] = concurrent_runs(bench, 200)

        if wanted("memory") and os.environ.get("BENCH_MEMORY", "1") != "0":
            from bench.load import local_mode_memory

            say("memory of a local-mode install over 10,000 runs")
            results["local_mode_memory"] = local_mode_memory(say=say)

        if wanted("editor") and os.environ.get("BENCH_EDITOR", "1") != "0":
            from bench.editor import editor_render

            say("a 500-node flow in Chromium")
            results["editor_500_nodes"] = editor_render(web.url, user)
    finally:
        web.stop()
        old_web.stop()
        worker.stop()
        http_server.stop()
        drop_database(mode)
        if redis_process is not None:
            redis_process.terminate()
    say(json.dumps(results, indent=2))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
