"""A credential's values never leave the worker's memory: not in outputs, errors, streamed
text, events, logs, API answers, the database's run records or Celery messages, even when
the provider echoes the key back in replies, errors, structured output and tool calls."""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
import uuid

import pytest
import redis
from django.conf import settings

from knowledge.models import Document
from knowledge.services import do_add_document
from runs.core import engine
from runs.models import NodeRun, Run
from tests.ai import make_credential, make_knowledge_base
from tests.conftest import AI_WORKER_ENV
from tests.fake_llm import Reply, Request, Status
from tests.helpers import edge, graph, make_flow, node, start, wait_for_run
from tests.services import ARTIFACTS, EventRecorder, Worker

pytestmark = pytest.mark.worker


class RedisMonitor:
    """Every command the Redis server sees while open (the broker and the channel layer)."""

    def __init__(self) -> None:
        self.client = redis.Redis.from_url(settings.REDIS_URL)
        self.commands: list[str] = []
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.ready = threading.Event()
        self.stopping = False

    def _listen(self) -> None:
        with self.client.monitor() as monitor:
            self.monitor = monitor
            self.ready.set()
            try:
                for entry in monitor.listen():
                    self.commands.append(entry["command"])
                    if self.stopping:
                        return
            except (redis.ConnectionError, OSError, ValueError):
                return

    def __enter__(self) -> RedisMonitor:
        self.thread.start()
        assert self.ready.wait(5)
        return self

    def __exit__(self, *exc) -> None:
        self.stopping = True
        self.client.ping()  # one more command wakes the listener up so it can return
        self.thread.join(5)

    def decoded(self) -> list[str]:
        """The commands, plus the base64 payloads inside them (kombu encodes task bodies)."""
        out = list(self.commands)
        for command in self.commands:
            for token in re.findall(r"[A-Za-z0-9+/]{16,}={0,2}", command):
                try:
                    out.append(base64.b64decode(token, validate=True).decode("utf-8", "replace"))
                except (binascii.Error, ValueError):
                    continue
        return out


def responder(request: Request):
    key = request.key
    if request.api == "embeddings":
        return Status(401, "bad embedding key", echo_key=True)
    if request.model == "echo-text":
        return Reply("Here you go", echo_key=True, chunk_chars=3, chunk_delay=0.01)
    if request.model == "echo-json":
        return Reply(json.dumps({"mood": key}))
    if request.model == "echo-401":
        return Status(401, "bad", echo_key=True)
    if request.model == "echo-route":
        return Reply(f"billing, says {key}")
    if request.model == "echo-agent":
        if not request.tool_results:
            return Reply(f"calling tools with {key}", tool_calls=[
                {"name": "helper", "arguments": {"note": key}},
                {"name": "run_python", "arguments": {"code": f"print('{key}')"}},
            ])
        return Reply(f"done with {key}")
    return Reply("ok")


@pytest.fixture
def canary_worker(running, http_server, fake_llm):
    """The session worker's place taken by one logging everything (DEBUG) to its own file."""
    running.stop()
    log = ARTIFACTS / "canary-worker.log"
    log.unlink(missing_ok=True)
    allow = f"127.0.0.1:{http_server.port},127.0.0.1:{fake_llm.port}"
    worker = Worker("canary-worker", BATON_HTTP_ALLOW=allow, BATON_LOG_LEVEL="DEBUG", **AI_WORKER_ENV)
    try:
        yield worker.start()
    finally:
        worker.stop()
        running.start()


def test_the_canary_never_leaves_the_worker(canary_worker, alice, alice_team, alice_api, fake_llm):
    canary = f"sk-canary-{uuid.uuid4().hex}"
    fake_llm.responder = responder
    openai = make_credential(alice_team, alice, fake_llm=fake_llm, api_key=canary, name="canary openai")
    anthropic = make_credential(alice_team, alice, fake_llm=fake_llm, api_key=canary, provider="anthropic",
                                name="canary anthropic")
    helper = make_flow(alice, graph([node("in", "input"), node("out", "output", key="got")], [edge("in", "out")]),
                       name="Helper")
    flows = {
        "text": [node("a", "llm", credential=openai.id, model="echo-text"),
                 node("b", "llm", credential=anthropic.id, model="echo-text")],
        "json": [node("a", "llm", credential=openai.id, model="echo-json",
                      json_schema={"type": "object", "properties": {"mood": {"type": "string"}}})],
        "error": [node("a", "llm", credential=openai.id, model="echo-401", settings={"on_error": "continue"}),
                  node("b", "llm", credential=anthropic.id, model="echo-401", settings={"on_error": "continue"})],
        "route": [node("a", "router", mode="llm", credential=openai.id, model="echo-route",
                       categories=[{"name": "billing"}])],
        "agent": [node("a", "agent", credential=openai.id, model="echo-agent", tools=[
            {"type": "flow", "flow": helper.id, "name": "helper"}, {"type": "code"}])],
    }
    runs = []
    with RedisMonitor() as monitor:
        recorders = []
        for name, nodes in flows.items():
            flow = make_flow(alice, graph([node("in", "input"), *nodes, node("out", "output", key="out")],
                                          [edge("in", n["id"]) for n in nodes] + [edge(nodes[0]["id"], "out", "billing" if name == "route" else "out")]),
                             name=name)
            run = start(flow, alice, {"q": "hello"})
            recorder = EventRecorder(str(run.id)).__enter__()
            recorders.append(recorder)
            runs.append(run)
        kb = make_knowledge_base(alice_team, alice, embedding={"credential": openai.id, "model": "emb"})
        document = do_add_document(kb, user=alice, name="doc", text="some text")
        finished = [wait_for_run(run, timeout=60) for run in runs]
        deadline = time.monotonic() + 20
        while Document.objects.get(pk=document.pk).status == "embedding":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        for recorder in recorders:
            recorder.wait_for(lambda evs: any(e["type"] == "run.status" and e["status"] in ("succeeded", "failed") for e in evs))
            recorder.__exit__(None, None, None)

    # The key was really used, and really echoed back.
    assert {r.key for r in fake_llm.requests} == {canary}
    assert all(run.status == engine.SUCCEEDED for run in finished), [(r.status, r.error) for r in finished]
    outputs = {run.flow.name: run.outputs["out"] for run in finished}
    assert outputs["text"] == "Here you go (your key is [redacted])"
    assert outputs["json"] == {"mood": "[redacted]"}
    assert outputs["route"] == {"q": "hello"}
    assert outputs["agent"] == "done with [redacted]"
    error_run = next(run for run in finished if run.flow.name == "error")
    assert "Incorrect API key provided: [redacted]" in NodeRun.objects.get(run=error_run, node_id="a").error["message"]
    assert Document.objects.get(pk=document.pk).status == "failed"
    assert "[redacted]" in Document.objects.get(pk=document.pk).error

    everywhere: dict[str, str] = {}
    all_runs = Run.objects.filter(team=alice_team)
    assert all_runs.filter(parent_run__isnull=False).exists()  # the agent's tool run
    for run in all_runs:
        everywhere[f"api run {run.id}"] = alice_api.get(f"/api/runs/{run.id}/").content.decode()
        everywhere[f"db run {run.id}"] = json.dumps([run.inputs, run.outputs, run.error, run.graph])
    for node_run in NodeRun.objects.filter(run__team=alice_team):
        everywhere[f"db node {node_run.pk}"] = json.dumps(
            [node_run.output, node_run.error, node_run.state, node_run.stream, node_run.details, node_run.message])
    everywhere["api runs"] = alice_api.get("/api/runs/").content.decode()
    everywhere["api credentials"] = alice_api.get("/api/credentials/").content.decode()
    everywhere["api documents"] = alice_api.get(f"/api/knowledge-bases/{kb.id}/documents/").content.decode()
    everywhere["events"] = json.dumps([e for r in recorders for e in r.events])
    everywhere["worker log"] = (ARTIFACTS / "canary-worker.log").read_text(errors="replace")
    everywhere["redis"] = "\n".join(monitor.decoded())
    leaks = [where for where, text in everywhere.items() if canary in text]
    assert leaks == []

    # The checks looked at real material: the streams were redacted, the monitor saw the
    # task messages and could read inside them, the log has DEBUG lines.
    assert any(e["type"] == "node.delta" and "[redacted]" in e["text"] for r in recorders for e in r.events)
    assert "runs.execute_node" in everywhere["redis"]
    assert "DEBUG" in everywhere["worker log"]
