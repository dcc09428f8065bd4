"""Real processes the tests start: a Celery worker, a Daphne server, a Redis server, and a
small HTTP server that stands in for the outside world."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_env(**extra: str) -> dict[str, str]:
    """The environment of a child process that talks to the test database and queues."""
    env = dict(os.environ)
    # The same settings as this process: the tests' (site settings plus a fast password
    # hasher) under pytest, the site's own under the benchmarks.
    env["DJANGO_SETTINGS_MODULE"] = os.environ.get("DJANGO_SETTINGS_MODULE", "orchestrator_site.settings")
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = db.get("USER") or "postgres"
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        env["DATABASE_URL"] = f"postgres://{user}@{host}:{port}/{db['NAME']}"
    else:
        env.pop("DATABASE_URL", None)
        env["BATON_SQLITE_PATH"] = str(db["NAME"])
    env.update(extra)
    return env


def die_with_parent() -> None:
    """In a child before exec: the kernel kills it when the test process dies, however it
    dies (a killed pytest must not leave workers running against the next run)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


class Worker:
    """A real `celery worker` process on the test queue."""

    def __init__(self, name: str = "worker", concurrency: int | None = None, include: str = "",
                 prefix: list[str] | None = None, **env: str):
        self.name = name
        # Run it through this first (e.g. `ip netns exec ns unshare --pid --fork`).
        self.prefix = prefix or []
        self.concurrency = concurrency
        self.include = include
        self.env = service_env(
            BATON_SWEEP_SECONDS="0.5",
            **env,
        )
        self.process: subprocess.Popen | None = None
        self.hostname = f"{name}-{os.getpid()}-{time.monotonic_ns()}@baton-test"

    @property
    def log_path(self) -> Path:
        return ARTIFACTS / f"{self.name}.log"

    def start(self, timeout: float = 30.0) -> Worker:
        ARTIFACTS.mkdir(exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [
                *self.prefix,
                sys.executable, "-m", "celery", "-A", "orchestrator_site", "worker",
                "--loglevel", "INFO", "--without-gossip", "--without-mingle",
                *(["--concurrency", str(self.concurrency)] if self.concurrency else []),
                "--hostname", self.hostname,
                "--queues", self.env.get("BATON_QUEUE", settings.BATON_QUEUE),
                *(["--include", self.include] if self.include else []),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        from runs.heartbeats import heartbeat_key

        client = redis.Redis.from_url(self.env.get("REDIS_URL", settings.REDIS_URL))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited early; see {ARTIFACTS / (self.name + '.log')}")
            if client.exists(heartbeat_key(self.hostname)):
                # The heartbeat comes from the main process; give the pool a moment too.
                time.sleep(0.3)
                return
            time.sleep(0.1)
        raise RuntimeError("the worker did not start in time")

    def pool_pids(self) -> list[int]:
        """The processes that run nodes: the pool's children with prefork, the worker
        itself with threads."""
        import psutil

        if self.env.get("BATON_WORKER_POOL", "threads") == "threads":
            return [self.process.pid]
        return [child.pid for child in psutil.Process(self.process.pid).children()]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


class WebServer:
    """The site served as `make web` serves it (orchestrator_site.web: Daphne processes)."""

    def __init__(self, port: int | None = None, **env: str):
        self.port = port or free_port()
        self.env = service_env(**env)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> WebServer:
        import urllib.request

        ARTIFACTS.mkdir(exist_ok=True)
        log = open(ARTIFACTS / "web.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "orchestrator_site.web"],
            cwd=ROOT,
            env={**self.env, "HOST": "127.0.0.1", "PORT": str(self.port)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the web server exited early; see test-artifacts/web.log")
            try:
                urllib.request.urlopen(self.url + "/login", timeout=1)
                return self
            except Exception:  # noqa: BLE001 - still starting
                time.sleep(0.1)
        raise RuntimeError("the web server did not start in time")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


class Beat:
    """A real `celery beat` process sending the schedule tick to the test queue."""

    def __init__(self, tick_seconds: float = 0.5, **env: str):
        self.env = service_env(BATON_SCHEDULE_TICK_SECONDS=str(tick_seconds), **env)
        self.process: subprocess.Popen | None = None

    def start(self) -> Beat:
        ARTIFACTS.mkdir(exist_ok=True)
        log = open(ARTIFACTS / "beat.log", "ab")
        schedule_file = Path(self.env["BATON_DATA_DIR"]) / f"beat-{time.monotonic_ns()}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "orchestrator_site", "beat",
             "--loglevel", "INFO", "--schedule", str(schedule_file)],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_redis_server(port: int, data_dir: str, bind: str = "127.0.0.1") -> subprocess.Popen:
    from orchestrator_site.local import find_redis_server

    process = subprocess.Popen(
        [find_redis_server(), "--port", str(port), "--bind", *bind.split(), "--save", "",
         "--appendonly", "no", "--dir", data_dir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=die_with_parent,
    )
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return process
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("the test redis-server did not start")


class _Handler(BaseHTTPRequestHandler):
    """Endpoints the http node tests call."""

    def log_message(self, format, *args) -> None:  # noqa: A002
        pass

    def _reply(self, status: int, body, content_type="application/json", headers=None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:  # noqa: N802
        self.route()

    def do_POST(self) -> None:  # noqa: N802
        self.route()

    def route(self) -> None:
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        server: TestHttpServer = self.server.owner
        server.requests.append({"method": self.command, "path": url.path, "query": query,
                                "idempotency_key": self.headers.get("Idempotency-Key", "")})
        if url.path == "/json":
            self._reply(200, {"ok": True, "query": query})
        elif url.path == "/echo":
            body = self._body()
            self._reply(200, {"method": self.command, "headers": dict(self.headers),
                              "body": body.decode(errors="replace")})
        elif url.path.startswith("/status/"):
            self._reply(int(url.path.rsplit("/", 1)[1]), {"error": "as you asked"})
        elif url.path == "/redirect":
            self._reply(302, b"", headers={"Location": query["to"]})
        elif url.path == "/text":
            self._reply(200, b"plain words", content_type="text/plain")
        elif url.path == "/slow":
            time.sleep(float(query.get("seconds", "5")))
            self._reply(200, {"slept": query.get("seconds"), "query": query})
        elif url.path == "/receive":
            # A callback receiver: keeps what it got; `fail=N` answers 503 to the first N.
            key = query.get("key", "default")
            server.counters[key] = server.counters.get(key, 0) + 1
            server.received.append(
                {"key": key, "headers": dict(self.headers), "body": self._body(), "at": time.time()}
            )
            if server.counters[key] <= int(query.get("fail", "0")):
                self._reply(503, {"error": "try again"})
            else:
                self._reply(200, {"ok": True})
        elif url.path == "/flaky":
            # The first `fail` calls answer `status` (503), with Retry-After when asked.
            key = query.get("key", "default")
            server.counters[key] = server.counters.get(key, 0) + 1
            server.received.append({"key": key, "headers": dict(self.headers), "at": time.time()})
            if server.counters[key] <= int(query.get("fail", "1")):
                headers = {"Retry-After": query["retry_after"]} if "retry_after" in query else {}
                self._reply(int(query.get("status", "503")), {"error": "try again"}, headers=headers)
            else:
                self._reply(200, {"attempt": server.counters[key]})
        else:
            self._reply(404, {"error": "no such path"})


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # clients that hang up (timeouts, cancels) are part of the tests


class TestHttpServer:
    __test__ = False

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.server = _QuietServer((host, 0), _Handler)
        self.server.owner = self
        self.server.daemon_threads = True
        self.requests: list[dict] = []
        self.counters: dict[str, int] = {}
        self.received: list[dict] = []
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.server.server_address[0]}:{self.port}"

    def start(self) -> TestHttpServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()


class EventRecorder:
    """Listens to a run's event group on the real channel layer, from a thread of its own."""

    def __init__(self, run_id: str):
        import asyncio

        from channels.layers import get_channel_layer

        from runs.effects import run_group

        self.events: list[dict] = []
        self.group = run_group(run_id)
        self._loop = asyncio.new_event_loop()
        self._layer = get_channel_layer()
        self._ready = threading.Event()
        self._channel = ""
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> EventRecorder:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("could not join the event group")
        return self

    def __exit__(self, *exc) -> None:
        import asyncio

        # Stopped by a message of its own: a receive cancelled by a timeout can lose the
        # message it was taking (seen under load: an event missing from the record).
        stop = self._layer.send(self._channel, {"type": "recorder.stop"})
        asyncio.run_coroutine_threadsafe(stop, self._loop).result(5)
        self._thread.join(5)

    def _run(self) -> None:
        async def main():
            self._channel = await self._layer.new_channel()
            await self._layer.group_add(self.group, self._channel)
            self._ready.set()
            while True:
                message = await self._layer.receive(self._channel)
                if message.get("type") == "recorder.stop":
                    break
                self.events.extend(message.get("events", []))
            await self._layer.group_discard(self.group, self._channel)

        self._loop.run_until_complete(main())

    def wait_for(self, predicate, timeout: float = 20.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.events):
                return self.events
            time.sleep(0.02)
        raise AssertionError(f"events never matched; got {[(e['type'], e.get('node_id'), e.get('status')) for e in self.events]}")

    def ordered(self) -> list[dict]:
        return sorted(self.events, key=lambda e: e["seq"])


class Installation:
    """A Baton of its own for fault tests: its own PostgreSQL database and Redis (which the
    test may kill), with a worker and a web server started on them. Tests drive it as a
    client would (its API, and psycopg for what the API does not say), so nothing of the
    session's worker (which sweeps the session's database) can touch its work."""

    def __init__(self, tag: str, admin_url: str | None = None, **env: str):
        import tempfile

        base = connection.settings_dict
        self.database = f"{base['NAME']}_{tag}"[:63]
        self.admin_url = admin_url or (
            f"postgres://{base.get('USER') or 'postgres'}@{base.get('HOST') or '127.0.0.1'}:"
            f"{base.get('PORT') or 5432}/postgres"
        )
        self.database_url = self.admin_url.rsplit("/", 1)[0] + "/" + self.database
        self.redis_port = free_port()
        self.redis_dir = tempfile.mkdtemp(prefix="baton-installation-redis-")
        self.redis_bind = "127.0.0.1"  # more addresses, space-separated, for other hosts
        self.redis: subprocess.Popen | None = None
        self.env = {"DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url, **env}
        self.workers: list[Worker] = []
        self.web: WebServer | None = None
        self.key = ""

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def start(self, workers: int = 1, **worker_env: str) -> Installation:
        """Its database, Redis, `workers` workers and a web server; workers=0 leaves
        starting them (self.worker) to the test."""
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{self.database}"')
        self.start_redis()
        self.manage("migrate", "--noinput")
        self.key = self.manage(
            "shell", "-c",
            "from django.contrib.auth import get_user_model\n"
            "from accounts.models import ApiKey\n"
            "user = get_user_model().objects.create_user('ops', password='ops-pass-123')\n"
            "print(ApiKey.issue(user, 'faults')[1])",
        ).strip().splitlines()[-1]
        for index in range(workers):
            self.workers.append(self.worker(f"own-{index}", **worker_env).start())
        self.web = WebServer(BATON_API_KEY_RATE="1000000/minute", **self.env).start()
        return self

    def worker(self, name: str, prefix: list[str] | None = None, **env: str) -> Worker:
        return Worker(name, prefix=prefix, **{**self.env, **env})

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=service_env(**self.env),
            capture_output=True, text=True, timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed: {result.stdout}{result.stderr}")
        return result.stdout

    def start_redis(self) -> None:
        self.redis = start_redis_server(self.redis_port, self.redis_dir, bind=self.redis_bind)

    def kill_redis(self) -> None:
        self.redis.kill()
        self.redis.wait()

    def api(self):
        import httpx

        return httpx.Client(base_url=self.web.url, headers={"Authorization": f"Bearer {self.key}"},
                            timeout=30)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as db:
            return db.execute(sql, params).fetchall()

    def stop(self) -> None:
        import psycopg

        if self.web is not None:
            self.web.stop()
        for worker in self.workers:
            worker.stop()
        if self.redis is not None and self.redis.poll() is None:
            self.redis.kill()
            self.redis.wait()
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


class OwnPostgres:
    """A PostgreSQL cluster of the test's own, on its own port, that the test may stop and
    start (the shared one must stay up for everything else). Needs the server binaries
    (initdb, pg_ctl); as root it runs them as the `postgres` user, as PostgreSQL requires."""

    def __init__(self) -> None:
        import glob
        import shutil
        import tempfile

        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        initdb = shutil.which("initdb") or (found[-1] if found else None)
        if initdb is None:
            raise FileNotFoundError("initdb (PostgreSQL's server binaries) is not installed")
        self.bin = Path(initdb).parent
        self.port = free_port()
        self.root = tempfile.mkdtemp(prefix="baton-own-pg-")
        self.listen = "127.0.0.1"
        self.data = os.path.join(self.root, "data")
        self.as_user: list[str] = []
        if os.getuid() == 0:
            import pwd

            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def admin_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str) -> None:
        result = subprocess.run([*self.as_user, *argv], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {result.stdout}{result.stderr}")

    def init(self, listen: str = "127.0.0.1", trust: str = "") -> OwnPostgres:
        """`listen`: its addresses, comma-separated; `trust`: a network (CIDR) whose clients
        may connect without a password, besides loopback."""
        self.listen = listen
        self._run(str(self.bin / "initdb"), "-D", self.data, "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8")
        if trust:
            with open(os.path.join(self.data, "pg_hba.conf"), "a") as hba:
                hba.write(f"host all all {trust} trust\n")
        return self.start()

    def start(self) -> OwnPostgres:
        self._run(str(self.bin / "pg_ctl"), "-D", self.data, "-w", "-l", os.path.join(self.data, "log"),
                  "-o", f"-p {self.port} -k {self.root} -c listen_addresses={self.listen} -c fsync=off",
                  "start")
        return self

    def stop(self, mode: str = "immediate") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", self.data, "-w", "-m", mode, "stop")

    def destroy(self) -> None:
        import shutil

        try:
            self.stop()
        except RuntimeError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)
