"""A local model provider for the tests: it speaks OpenAI's Chat Completions (and
/embeddings) and Anthropic's Messages over real HTTP, streaming real server-sent-event
chunk formats, and is scripted per test.

A test either queues behaviours (`fake_llm.script(Reply("hi"), Status(429, retry_after=1))`,
taken one per request in order) or sets a responder (`fake_llm.responder = lambda request:
Reply(...)`) that picks one from the request, which suits concurrent calls. Without either,
every call answers Reply("ok"). Every request is recorded (`fake_llm.requests`).
(One module: a server speaking two providers' protocols, each in its real wire format.)
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """A normal answer: text and/or tool calls ({"name", "arguments"} each)."""

    text: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    usage: tuple[int, int] = (10, 5)
    chunk_chars: int = 4
    chunk_delay: float = 0.0
    # Put the caller's API key into the reply text (a provider echoing a secret back).
    echo_key: bool = False


@dataclass
class Status:
    """An error answer: 429 (with Retry-After), 500, 401..."""

    code: int
    message: str = "as scripted"
    retry_after: float | None = None
    echo_key: bool = False


@dataclass
class Stall:
    """Start streaming, send `text`, then send nothing more (until the client gives up)."""

    text: str = "partial"


@dataclass
class Malformed:
    """A stream whose second event is not JSON."""

    text: str = "fine so far"


Behaviour = Reply | Status | Stall | Malformed


@dataclass
class Request:
    api: str  # openai, anthropic, embeddings
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def key(self) -> str:
        if self.api == "anthropic":
            return self.headers.get("x-api-key", "")
        auth = self.headers.get("authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else ""

    @property
    def model(self) -> str:
        return self.body.get("model", "")

    @property
    def system(self) -> str:
        if self.api == "anthropic":
            return self.body.get("system", "")
        return "\n".join(m.get("content") or "" for m in self.body.get("messages", []) if m.get("role") == "system")

    @property
    def last_user_text(self) -> str:
        """The text of the last user turn (tool results included)."""
        for message in reversed(self.body.get("messages", [])):
            if message.get("role") in ("user", "tool"):
                content = message.get("content")
                if isinstance(content, str):
                    return content
                parts = []
                for block in content or []:
                    if block.get("type") == "text":
                        parts.append(block.get("text", ""))
                    elif block.get("type") == "tool_result":
                        inner = block.get("content")
                        parts.append(inner if isinstance(inner, str) else json.dumps(inner))
                return "\n".join(parts)
        return ""

    @property
    def tool_results(self) -> list[str]:
        results = []
        for message in self.body.get("messages", []):
            if message.get("role") == "tool":
                results.append(message.get("content") or "")
            elif message.get("role") == "user" and isinstance(message.get("content"), list):
                results += [
                    b.get("content") if isinstance(b.get("content"), str) else json.dumps(b.get("content"))
                    for b in message["content"] if b.get("type") == "tool_result"
                ]
        return results


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:  # noqa: A002
        pass

    def do_POST(self) -> None:  # noqa: N802
        fake: FakeLLM = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        path = self.path.split("?")[0]
        api = {"/v1/chat/completions": "openai", "/v1/messages": "anthropic",
               "/v1/embeddings": "embeddings"}.get(path)
        if api is None:
            self._json(404, {"error": {"message": f"no route {path}"}})
            return
        request = Request(api, path, {k.lower(): v for k, v in self.headers.items()}, body)
        fake.begin(request)
        try:
            if api == "embeddings":
                behaviour = fake.next_behaviour(request)
                if isinstance(behaviour, Status):
                    self._status(request, behaviour)
                else:
                    self._embeddings(request)
                return
            behaviour = fake.next_behaviour(request)
            if isinstance(behaviour, Status):
                self._status(request, behaviour)
            elif not body.get("stream"):
                self._complete(request, behaviour)
            else:
                self._stream(request, behaviour)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            fake.end()

    # plain answers ------------------------------------------------------------------------------
    def _json(self, code: int, data: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(data).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _status(self, request: Request, behaviour: Status) -> None:
        message = behaviour.message
        if behaviour.echo_key:
            message = f"Incorrect API key provided: {request.key}. {message}"
        headers = {}
        if behaviour.retry_after is not None:
            headers["Retry-After"] = f"{behaviour.retry_after:g}"
        if request.api == "anthropic":
            kind = {401: "authentication_error", 429: "rate_limit_error", 529: "overloaded_error"}.get(
                behaviour.code, "api_error" if behaviour.code >= 500 else "invalid_request_error")
            self._json(behaviour.code, {"type": "error", "error": {"type": kind, "message": message}}, headers)
        else:
            self._json(behaviour.code, {"error": {"message": message, "type": "invalid_request_error",
                                                  "param": None, "code": None}}, headers)

    def _embeddings(self, request: Request) -> None:
        inputs = request.body.get("input")
        texts = inputs if isinstance(inputs, list) else [inputs]
        data = [{"object": "embedding", "index": i, "embedding": embedding_of(t)} for i, t in enumerate(texts)]
        tokens = sum(len(str(t).split()) for t in texts)
        self._json(200, {"object": "list", "data": data, "model": request.model,
                         "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    def _complete(self, request: Request, behaviour: Behaviour) -> None:
        reply = behaviour if isinstance(behaviour, Reply) else Reply(getattr(behaviour, "text", ""))
        text = self.server.owner.text_of(reply, request)
        if request.api == "anthropic":
            content = [{"type": "text", "text": text}] if text else []
            content += [{"type": "tool_use", "id": f"toolu_{i}", "name": c["name"], "input": c["arguments"]}
                        for i, c in enumerate(reply.tool_calls)]
            self._json(200, {"id": "msg_1", "type": "message", "role": "assistant", "model": request.model,
                             "content": content, "stop_reason": "tool_use" if reply.tool_calls else "end_turn",
                             "usage": {"input_tokens": reply.usage[0], "output_tokens": reply.usage[1]}})
        else:
            message: dict[str, Any] = {"role": "assistant", "content": text or None}
            if reply.tool_calls:
                message["tool_calls"] = [
                    {"id": f"call_{i}", "type": "function",
                     "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])}}
                    for i, c in enumerate(reply.tool_calls)
                ]
            self._json(200, {"id": "chatcmpl-1", "object": "chat.completion", "model": request.model,
                             "choices": [{"index": 0, "message": message,
                                          "finish_reason": "tool_calls" if reply.tool_calls else "stop"}],
                             "usage": {"prompt_tokens": reply.usage[0], "completion_tokens": reply.usage[1],
                                       "total_tokens": sum(reply.usage)}})

    # streams --------------------------------------------------------------------------------------
    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _send(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _event(self, request: Request, obj: dict[str, Any]) -> None:
        if request.api == "anthropic":
            self._send(f"event: {obj['type']}\ndata: {json.dumps(obj)}\n\n")
        else:
            self._send(f"data: {json.dumps(obj)}\n\n")

    def _stream(self, request: Request, behaviour: Behaviour) -> None:
        self._start_stream()
        if request.api == "anthropic":
            self._stream_anthropic(request, behaviour)
        else:
            self._stream_openai(request, behaviour)

    def _stall(self) -> None:
        fake: FakeLLM = self.server.owner
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not fake.stopping.is_set():
            time.sleep(0.05)

    def _openai_chunk(self, request: Request, delta: dict[str, Any], finish: str | None = None) -> dict:
        return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": request.model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    def _stream_openai(self, request: Request, behaviour: Behaviour) -> None:
        self._event(request, self._openai_chunk(request, {"role": "assistant", "content": ""}))
        if isinstance(behaviour, Stall):
            self._event(request, self._openai_chunk(request, {"content": behaviour.text}))
            self._stall()
            return
        if isinstance(behaviour, Malformed):
            self._event(request, self._openai_chunk(request, {"content": behaviour.text}))
            self._send('data: {"id": "chatcmpl-1", "choices": [{"delta": {"content": "x"\n\n')
            self._send("data: [DONE]\n\n")
            self._end_stream()
            return
        reply = behaviour
        for piece in pieces(self.server.owner.text_of(reply, request), reply.chunk_chars):
            if reply.chunk_delay:
                time.sleep(reply.chunk_delay)
            self._event(request, self._openai_chunk(request, {"content": piece}))
        for index, call in enumerate(reply.tool_calls):
            arguments = json.dumps(call["arguments"])
            self._event(request, self._openai_chunk(request, {"tool_calls": [
                {"index": index, "id": f"call_{index}", "type": "function",
                 "function": {"name": call["name"], "arguments": ""}}]}))
            for piece in pieces(arguments, 7):
                self._event(request, self._openai_chunk(request, {"tool_calls": [
                    {"index": index, "function": {"arguments": piece}}]}))
        self._event(request, self._openai_chunk(request, {}, "tool_calls" if reply.tool_calls else "stop"))
        if (request.body.get("stream_options") or {}).get("include_usage"):
            self._event(request, {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": request.model,
                                  "choices": [], "usage": {"prompt_tokens": reply.usage[0],
                                                           "completion_tokens": reply.usage[1],
                                                           "total_tokens": sum(reply.usage)}})
        self._send("data: [DONE]\n\n")
        self._end_stream()

    def _stream_anthropic(self, request: Request, behaviour: Behaviour) -> None:
        usage = behaviour.usage if isinstance(behaviour, Reply) else (10, 1)
        self._event(request, {"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": request.model,
            "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": usage[0], "output_tokens": 1}}})
        self._event(request, {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
        self._event(request, {"type": "ping"})
        if isinstance(behaviour, Stall):
            self._event(request, {"type": "content_block_delta", "index": 0,
                                  "delta": {"type": "text_delta", "text": behaviour.text}})
            self._stall()
            return
        if isinstance(behaviour, Malformed):
            self._event(request, {"type": "content_block_delta", "index": 0,
                                  "delta": {"type": "text_delta", "text": behaviour.text}})
            self._send("event: content_block_delta\ndata: {not json\n\n")
            self._end_stream()
            return
        reply = behaviour
        for piece in pieces(self.server.owner.text_of(reply, request), reply.chunk_chars):
            if reply.chunk_delay:
                time.sleep(reply.chunk_delay)
            self._event(request, {"type": "content_block_delta", "index": 0,
                                  "delta": {"type": "text_delta", "text": piece}})
        self._event(request, {"type": "content_block_stop", "index": 0})
        for offset, call in enumerate(reply.tool_calls, start=1):
            self._event(request, {"type": "content_block_start", "index": offset, "content_block": {
                "type": "tool_use", "id": f"toolu_{offset}", "name": call["name"], "input": {}}})
            for piece in pieces(json.dumps(call["arguments"]), 7):
                self._event(request, {"type": "content_block_delta", "index": offset,
                                      "delta": {"type": "input_json_delta", "partial_json": piece}})
            self._event(request, {"type": "content_block_stop", "index": offset})
        self._event(request, {"type": "message_delta",
                              "delta": {"stop_reason": "tool_use" if reply.tool_calls else "end_turn",
                                        "stop_sequence": None},
                              "usage": {"output_tokens": usage[1]}})
        self._event(request, {"type": "message_stop"})
        self._end_stream()


def pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), max(1, size))]


def embedding_of(text: str, size: int = 64) -> list[float]:
    """A deterministic bag-of-words vector: texts sharing words point the same way."""
    vector = [0.0] * size
    for word in re.findall(r"[a-z0-9]+", str(text).lower()):
        digest = hashlib.sha256(word.encode()).digest()
        vector[digest[0] % size] += 1.0 + digest[1] / 255
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # clients that give up (stalls, timeouts) are part of the tests


class FakeLLM:
    __test__ = False

    def __init__(self) -> None:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.owner = self
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.lock = threading.Lock()
        self.queue: deque[Behaviour] = deque()
        self.responder: Callable[[Request], Behaviour] | None = None
        self.requests: list[Request] = []
        self.active = 0
        self.max_active = 0
        self.stopping = threading.Event()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base(self) -> str:
        return self.url + "/v1"

    def start(self) -> FakeLLM:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()

    def reset(self) -> None:
        with self.lock:
            self.queue.clear()
            self.responder = None
            self.requests.clear()
            self.active = self.max_active = 0

    def script(self, *behaviours: Behaviour) -> None:
        with self.lock:
            self.queue.extend(behaviours)

    def next_behaviour(self, request: Request) -> Behaviour:
        with self.lock:
            if self.queue:
                return self.queue.popleft()
            responder = self.responder
        return responder(request) if responder is not None else Reply("ok")

    def text_of(self, reply: Reply, request: Request) -> str:
        return f"{reply.text} (your key is {request.key})" if reply.echo_key else reply.text

    def begin(self, request: Request) -> None:
        with self.lock:
            self.requests.append(request)
            self.active += 1
            self.max_active = max(self.max_active, self.active)

    def end(self) -> None:
        with self.lock:
            self.active -= 1

    def calls(self, api: str | None = None) -> list[Request]:
        return [r for r in self.requests if api is None or r.api == api]
