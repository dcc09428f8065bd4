"""`make run`'s launcher: one command starts everything, Ctrl-C stops everything, and the
data dir keeps what was made."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.services import ROOT, free_port

pytestmark = pytest.mark.skipif(
    os.environ.get("BATON_TEST_MODE") != "local", reason="runs in the local-mode pass of make test"
)


class Launch:
    def __init__(self, data_dir: Path, port: int, **extra_env: str):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("BATON_", "DATABASE_URL", "REDIS_URL", "DJANGO_", "OPENAI_"))}
        env.update(BATON_DATA_DIR=str(data_dir), PORT=str(port), BATON_DEMO_PASSWORD="demo-pass-123",
                   BATON_SWEEP_SECONDS="1", BATON_SCHEDULE_TICK_SECONDS="1", **extra_env)
        self.url = f"http://127.0.0.1:{port}"
        self.output: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "orchestrator_site.local"], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )

    def wait_until_running(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                break
            self.output.append(line)
            if "Press Ctrl-C to stop" in line:
                return
        raise AssertionError("the launcher did not start:\n" + "".join(self.output))

    def descendants(self) -> list[psutil.Process]:
        procs = psutil.Process(self.process.pid).children(recursive=True)
        # Our children start their own sessions; find them by parent link as well.
        return procs

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        self.output.extend(self.process.communicate(timeout=60)[0].splitlines(keepends=True))
        return self.process.returncode


def sign_in(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=10)
    client.get("/login")
    token = client.cookies["csrftoken"]
    response = client.post("/login", data={"username": "demo", "password": "demo-pass-123",
                                            "csrfmiddlewaretoken": token, "next": "/"})
    assert response.status_code == 302, response.text
    client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
    return client


def test_make_run_starts_everything_and_ctrl_c_stops_everything(tmp_path):
    port = free_port()
    first = Launch(tmp_path, port)
    try:
        first.wait_until_running()
        banner = "".join(first.output)
        assert f"Baton is running at http://127.0.0.1:{port}/" in banner
        assert "Sign in as: demo / demo-pass-123" in banner
        children = first.descendants()
        assert len(children) >= 4  # redis, worker (and its pool), beat, daphne
        assert any("beat" in p.cmdline() for p in children)
        health = httpx.get(first.url + "/api/health/").json()
        assert health["status"] == "ok" and health["mode"] == "local"

        client = sign_in(first.url)
        flows = client.get("/api/flows/").json()["results"]
        hello = next(f for f in flows if f["name"] == "Hello, Baton")
        run = client.post(f"/api/flows/{hello['id']}/runs/?wait=20", json={"inputs": {"name": "local"}}).json()
        assert run["status"] == "succeeded", run
        assert run["outputs"] == {"greeting": "Hello, local! Welcome to Baton."}
        client.post("/api/flows/", json={"name": "Kept between starts"})
        # Once a year: it will not fire by itself during the test.
        yearly = client.post(f"/api/flows/{hello['id']}/schedules/",
                             json={"cron": "0 0 1 1 *", "inputs": {"name": "cron"}})
        assert yearly.status_code == 201, yearly.text
    finally:
        code = first.stop()
    assert code == 0, "".join(first.output)
    time.sleep(0.5)
    assert not [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not (tmp_path / "local.json").exists()
    # While nothing ran, its time came (and went, many times over).
    import sqlite3

    with sqlite3.connect(tmp_path / "baton.sqlite3") as db:
        db.execute("UPDATE triggers_schedule SET next_fire_at = '2020-01-01 00:00:00'")

    second = Launch(tmp_path, port)
    try:
        second.wait_until_running()
        client = sign_in(second.url)
        names = [f["name"] for f in client.get("/api/flows/").json()["results"]]
        assert "Kept between starts" in names
        assert names.count("Hello, Baton") == 1  # examples are not added twice
        # Beat fires the missed schedule once on start, not once per missed time.
        deadline = time.monotonic() + 30
        while (client.get("/api/runs/?status=succeeded&trigger=schedule").json()["count"] < 1
               and time.monotonic() < deadline):
            time.sleep(0.5)
        time.sleep(2.5)  # a few more ticks
        # The examples' shipped recordings are runs too (trigger "recording"), not counted here.
        runs = [r for r in client.get("/api/runs/").json()["results"] if r["trigger"] != "recording"]
        assert sorted(r["trigger"] for r in runs) == ["editor", "schedule"], runs
        assert next(r for r in runs if r["trigger"] == "schedule")["outputs"] == {
            "greeting": "Hello, cron! Welcome to Baton."}
    finally:
        assert second.stop() == 0


def test_it_says_clearly_when_the_port_is_taken(tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        launch = Launch(tmp_path, port)
        out, _ = launch.process.communicate(timeout=60)
    assert launch.process.returncode == 1
    assert re.search(rf"port {port} on 127.0.0.1 is already in use", out)


def test_make_run_uses_the_model_it_finds_for_the_ai_examples(tmp_path, fake_llm):
    from tests.integration.test_examples import model

    fake_llm.responder = model
    launch = Launch(tmp_path, free_port(), OPENAI_BASE_URL=fake_llm.openai_base, OPENAI_API_KEY="sk-local-demo-1234",
                    BATON_DEMO_MODEL="fake-model")  # a loopback base URL it was given is allowed
    try:
        launch.wait_until_running()
        banner = "".join(launch.output)
        assert f"Models:     OpenAI-compatible API at {fake_llm.openai_base}, model fake-model" in banner
        assert "Code nodes: ON" in banner
        client = sign_in(launch.url)
        flows = {f["name"]: f for f in client.get("/api/flows/").json()["results"]}
        answer = client.post(f"/api/flows/{flows['Customer service']['id']}/runs/?wait=60",
                             json={"inputs": {"question": "When do I get my refund?"}}).json()
        assert answer["status"] == "succeeded", answer
        assert answer["outputs"]["answer"].startswith("Refunds are made within 5 working days")
        agent = client.post(f"/api/flows/{flows['Coding agent']['id']}/runs/?wait=60", json={}).json()
        assert agent["status"] == "succeeded", agent
        assert {r.key for r in fake_llm.requests} == {"sk-local-demo-1234"}
    finally:
        assert launch.stop() == 0
    assert "sk-local-demo-1234" not in (tmp_path / "logs" / "worker.log").read_text()
