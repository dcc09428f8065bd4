"""Model providers over plain HTTP: OpenAI-compatible Chat Completions and Anthropic Messages.

No vendor SDK: requests go through the guarded httpx client (flows.nodes.outbound), so a
provider's base URL is held to the same rules as any node's outbound call. Replies stream
(server-sent events); text becomes deltas as it arrives. A stream that sends nothing for
BATON_LLM_IDLE_TIMEOUT seconds fails the attempt. 429, 408 and 5xx are retried here with
jittered backoff, honouring Retry-After, a few times (BATON_LLM_RETRIES) before the
node's own retries; other 4xx fail at once with the provider's own message.

Every string this module hands back passes through the `redact` function the node gives
it, so a provider echoing a key back never gets it further.

Why one module of this size: both protocols share the streaming reader, the retries, the
usage and cost accounting and the redaction; apart, each would carry a copy of them.

Messages are kept provider-neutral:
    {"role": "user", "content": str}
    {"role": "assistant", "content": str, "tool_calls": [{"id", "name", "arguments": dict}]}
    {"role": "tool", "tool_call_id": str, "name": str, "content": str}
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings

from .base import CredentialSecret, FatalNodeError, NodeError
from .outbound import outbound_client, retry_after_seconds

OPENAI_BASE_URL = "https://api.openai.com/v1"
ANTHROPIC_BASE_URL = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"
ANTHROPIC_DEFAULT_MAX_TOKENS = 1024
MAX_ERROR_BODY_BYTES = 64 * 1024
MAX_REPLY_CHARS = 2_000_000
PROVIDER_NAMES = {"openai": "the model provider", "anthropic": "Anthropic"}

Redact = Callable[[str], str]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any]


@dataclass
class ToolCall:
    id: str
    name: str
    # None when the model's arguments are not a JSON object (the agent tells it so).
    arguments: dict[str, Any] | None
    raw_arguments: str = ""

    def as_message_part(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "arguments": self.arguments or {}}


@dataclass
class Reply:
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    stop_reason: str = ""


@dataclass
class ChatRequest:
    model: str
    messages: list[dict[str, Any]]
    system: str = ""
    temperature: float | None = None
    max_tokens: int | None = None
    tools: list[ToolSpec] = field(default_factory=list)
    json_schema: dict[str, Any] | None = None


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


# --- Prices ------------------------------------------------------------------------------------


def price_of(model: str) -> tuple[float, float]:
    """USD per million input and output tokens: the longest price-table key the model name
    starts with (also after a provider prefix such as "openai/"), else free."""
    prices: dict[str, list[float]] = settings.BATON_MODEL_PRICES
    for name in (model, model.rsplit("/", 1)[-1]):
        matches = [key for key in prices if name.startswith(key)]
        if matches:
            input_price, output_price = prices[max(matches, key=len)]
            return float(input_price), float(output_price)
    return 0.0, 0.0


def cost_usd(model: str, input_tokens: int, output_tokens: int) -> float:
    input_price, output_price = price_of(model)
    return round((input_tokens * input_price + output_tokens * output_price) / 1_000_000, 8)


# --- The client ----------------------------------------------------------------------------------


class ChatClient:
    """One credential's model calls, for one node attempt."""

    def __init__(
        self,
        secret: CredentialSecret,
        *,
        redact: Redact,
        on_delta: Callable[[str], None] | None = None,
        cancelled: Callable[[], bool] = lambda: False,
        idle_timeout: float | None = None,
        idempotency_key: str = "",
        interruptible: Callable[[Callable[[], Any]], Any] = lambda call: call(),
    ):
        if secret.provider not in PROVIDER_NAMES:
            raise FatalNodeError(f"unknown provider {secret.provider!r} in credential {secret.name!r}")
        self.secret = secret
        self.redact = redact
        self.on_delta = on_delta
        self.cancelled = cancelled
        self.idle_timeout = idle_timeout or settings.BATON_LLM_IDLE_TIMEOUT
        self.provider = secret.provider
        self.who = PROVIDER_NAMES[secret.provider]
        # Each call of the attempt gets its own key (an agent makes several): the n-th call
        # of an attempt run again is the n-th call it made before.
        self.idempotency_key = idempotency_key
        self.calls = 0
        # Runs each request so that cancelling the run stops waiting for it (NodeContext).
        self.interruptible = interruptible

    # public ------------------------------------------------------------------------------------
    def chat(self, request: ChatRequest) -> Reply:
        if not request.model:
            raise FatalNodeError("no model named: set `model` in the node's config")
        if self.provider == "anthropic":
            url, headers, body = self._anthropic_request(request)
        else:
            url, headers, body = self._openai_request(request)
        self.calls += 1
        if self.idempotency_key:
            headers["Idempotency-Key"] = f"{self.idempotency_key}.{self.calls}"
        return with_retries(
            lambda: self.interruptible(lambda: self._stream(url, headers, body)),
            self.redact, self.cancelled,
        )

    # building requests -------------------------------------------------------------------------
    def _openai_request(self, request: ChatRequest) -> tuple[str, dict, dict]:
        base = (self.secret.base_url or OPENAI_BASE_URL).rstrip("/")
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.secret.api_key:
            headers["Authorization"] = f"Bearer {self.secret.api_key}"
        system = _with_schema_instruction(request.system, request.json_schema)
        messages: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
        for message in request.messages:
            messages.append(_openai_message(message))
        body: dict[str, Any] = {
            "model": request.model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.max_tokens is not None:
            body["max_tokens"] = request.max_tokens
        if request.tools:
            body["tools"] = [
                {"type": "function", "function": {"name": t.name, "description": t.description,
                                                  "parameters": t.parameters}}
                for t in request.tools
            ]
        if request.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": request.json_schema},
            }
        return base + "/chat/completions", headers, body

    def _anthropic_request(self, request: ChatRequest) -> tuple[str, dict, dict]:
        base = (self.secret.base_url or ANTHROPIC_BASE_URL).rstrip("/")
        url = base + ("/messages" if base.endswith("/v1") else "/v1/messages")
        headers = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream",
            "anthropic-version": ANTHROPIC_VERSION,
        }
        if self.secret.api_key:
            headers["x-api-key"] = self.secret.api_key
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens or ANTHROPIC_DEFAULT_MAX_TOKENS,
            "messages": _anthropic_messages(request.messages),
            "stream": True,
        }
        system = _with_schema_instruction(request.system, request.json_schema)
        if system:
            body["system"] = system
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.tools:
            body["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": t.parameters}
                for t in request.tools
            ]
        return url, headers, body

    # calling ---------------------------------------------------------------------------------------
    def _stream(self, url: str, headers: dict, body: dict) -> Reply:
        timeout = httpx.Timeout(connect=15.0, read=self.idle_timeout, write=30.0, pool=15.0)
        accumulator = (
            _AnthropicStream(self) if self.provider == "anthropic" else _OpenAIStream(self)
        )
        try:
            stream = outbound_client().stream(
                "POST", url, headers=headers, json=body, timeout=timeout
            )
            with stream as response:
                if response.status_code >= 400:
                    self._raise_for_status(response)
                if "text/event-stream" not in response.headers.get("content-type", ""):
                    # A server that ignored "stream": one JSON reply.
                    return accumulator.complete(self._json_body(response))
                for event, data in _sse_events(response.iter_lines()):
                    if self.cancelled():
                        raise NodeError("cancelled")
                    if accumulator.feed(event, data):
                        break
        except httpx.ReadTimeout:
            if accumulator.started:
                raise NodeError(
                    f"the model's stream stalled: nothing for {self.idle_timeout:g} s"
                ) from None
            raise NodeError(
                f"{self.who} sent no answer for {self.idle_timeout:g} s (BATON_LLM_IDLE_TIMEOUT)"
            ) from None
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError,
                httpx.WriteTimeout, httpx.PoolTimeout) as exc:
            message = self.redact(f"could not reach {self.who} at {_origin(url)}: {exc}")
            if accumulator.started:
                raise NodeError(message) from None
            raise _Retryable(message) from None
        except httpx.InvalidURL as exc:
            raise FatalNodeError(f"the credential's base_url is not a valid URL: {exc}") from None
        except httpx.UnsupportedProtocol:
            raise FatalNodeError("the credential's base_url must be an http or https URL") from None
        except httpx.HTTPError as exc:
            raise NodeError(self.redact(f"the call to {self.who} failed: {exc}")) from None
        return accumulator.finish()

    def _json_body(self, response: httpx.Response) -> dict[str, Any]:
        content = _read_limited(response, MAX_REPLY_CHARS)
        try:
            data = json.loads(content)
        except ValueError:
            raise NodeError(
                self.redact(f"{self.who} answered something that is not JSON: {content[:200]!r}")
            ) from None
        if not isinstance(data, dict):
            raise NodeError(f"{self.who} answered JSON that is not an object")
        return data

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        raw = _read_limited(response, MAX_ERROR_BODY_BYTES)
        message = self.redact(f"{self.who} answered {status}: {_error_message(raw)}")
        if status in (408, 409, 425, 429) or status >= 500:
            raise _Retryable(message, retry_after_seconds(response.headers.get("retry-after")))
        raise FatalNodeError(message)

    def delta(self, text: str) -> None:
        if self.on_delta is not None and text:
            self.on_delta(text)


def with_retries(call: Callable[[], Any], redact: Redact, cancelled: Callable[[], bool]) -> Any:
    """`call()`, again after a jittered, growing wait (or the provider's Retry-After) while
    it raises _Retryable, up to BATON_LLM_RETRIES times; then a NodeError."""
    retries = settings.BATON_LLM_RETRIES
    max_wait = settings.BATON_LLM_RETRY_MAX_WAIT
    for attempt in range(retries + 1):
        try:
            return call()
        except _Retryable as exc:
            if attempt >= retries:
                raise NodeError(f"{exc.message} (after {attempt + 1} tries)") from None
            if exc.retry_after is not None:
                wait = exc.retry_after
                if wait > max_wait:
                    raise NodeError(
                        f"{exc.message}; it asks to wait {wait:g} s, longer than "
                        f"BATON_LLM_RETRY_MAX_WAIT ({max_wait:g} s)"
                    ) from None
            else:
                wait = min(max_wait, settings.BATON_LLM_RETRY_BASE * (2**attempt))
                wait *= random.uniform(0.5, 1.5)  # jitter: many nodes must not retry in step
            if cancelled():
                raise NodeError("cancelled") from None
            time.sleep(wait)
    raise AssertionError("unreachable")


# --- Streams ------------------------------------------------------------------------------------


class _Stream:
    def __init__(self, client: ChatClient):
        self.client = client
        self.text: list[str] = []
        self.size = 0
        self.reply = Reply()
        self.started = False

    def add_text(self, text: str) -> None:
        if not text:
            return
        self.started = True
        self.size += len(text)
        if self.size > MAX_REPLY_CHARS:
            raise NodeError(f"the model's reply is longer than {MAX_REPLY_CHARS} characters")
        self.text.append(text)
        self.client.delta(text)

    def parse(self, data: str) -> dict[str, Any]:
        try:
            obj = json.loads(data)
        except ValueError:
            raise NodeError(
                self.client.redact(f"{self.client.who} sent a malformed stream event: {data[:200]!r}")
            ) from None
        if not isinstance(obj, dict):
            raise NodeError(f"{self.client.who} sent a stream event that is not an object")
        return obj

    def finish(self) -> Reply:
        self.reply.text = self.client.redact("".join(self.text))
        for call in self.reply.tool_calls:
            call.raw_arguments = self.client.redact(call.raw_arguments)
            call.arguments = _parse_arguments(call.raw_arguments)
            call.name = self.client.redact(call.name)
        return self.reply

    def stream_error(self, obj: dict[str, Any]) -> NodeError:
        return NodeError(self.client.redact(f"{self.client.who} reported an error mid-stream: "
                                            f"{_error_message(json.dumps(obj))}"))


class _OpenAIStream(_Stream):
    def __init__(self, client: ChatClient):
        super().__init__(client)
        self.calls: dict[int, dict[str, Any]] = {}

    def feed(self, event: str, data: str) -> bool:
        if data.strip() == "[DONE]":
            return True
        obj = self.parse(data)
        if obj.get("error"):
            raise self.stream_error(obj)
        self._usage(obj.get("usage"))
        for choice in obj.get("choices") or []:
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if isinstance(content, str):
                self.add_text(content)
            for position, part in enumerate(delta.get("tool_calls") or []):
                self.started = True
                slot = self.calls.setdefault(
                    part.get("index", position), {"id": "", "name": "", "arguments": []}
                )
                if part.get("id"):
                    slot["id"] = part["id"]
                function = part.get("function") or {}
                if function.get("name") and not slot["name"]:
                    slot["name"] = function["name"]
                if function.get("arguments"):
                    arguments = function["arguments"]
                    slot["arguments"].append(
                        arguments if isinstance(arguments, str) else json.dumps(arguments)
                    )
            if choice.get("finish_reason"):
                self.reply.stop_reason = choice["finish_reason"]
        return False

    def _usage(self, usage: Any) -> None:
        if isinstance(usage, dict):
            self.reply.input_tokens = int(usage.get("prompt_tokens") or 0)
            self.reply.output_tokens = int(usage.get("completion_tokens") or 0)

    def complete(self, obj: dict[str, Any]) -> Reply:
        self._usage(obj.get("usage"))
        choice = (obj.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        self.add_text(message.get("content") or "")
        for index, call in enumerate(message.get("tool_calls") or []):
            function = call.get("function") or {}
            arguments = function.get("arguments") or ""
            self.calls[index] = {
                "id": call.get("id") or "",
                "name": function.get("name") or "",
                "arguments": [arguments if isinstance(arguments, str) else json.dumps(arguments)],
            }
        self.reply.stop_reason = choice.get("finish_reason") or ""
        return self.finish()

    def finish(self) -> Reply:
        for index in sorted(self.calls):
            slot = self.calls[index]
            self.reply.tool_calls.append(
                ToolCall(
                    id=slot["id"] or f"call_{index}",
                    name=slot["name"],
                    arguments=None,
                    raw_arguments="".join(slot["arguments"]),
                )
            )
        return super().finish()


class _AnthropicStream(_Stream):
    def __init__(self, client: ChatClient):
        super().__init__(client)
        self.blocks: dict[int, dict[str, Any]] = {}

    def feed(self, event: str, data: str) -> bool:
        obj = self.parse(data)
        kind = obj.get("type") or event
        if kind == "error":
            # Mid-stream (overloaded, ...): the attempt fails; the node's retries may help.
            raise self.stream_error(obj)
        if kind == "message_start":
            usage = (obj.get("message") or {}).get("usage") or {}
            self.reply.input_tokens = int(usage.get("input_tokens") or 0) + int(
                usage.get("cache_read_input_tokens") or 0
            ) + int(usage.get("cache_creation_input_tokens") or 0)
            self.reply.output_tokens = int(usage.get("output_tokens") or 0)
        elif kind == "content_block_start":
            block = obj.get("content_block") or {}
            self.blocks[obj.get("index", len(self.blocks))] = {
                "type": block.get("type"),
                "id": block.get("id", ""),
                "name": block.get("name", ""),
                "json": [],
            }
            if block.get("type") == "text":
                self.add_text(block.get("text") or "")
            elif block.get("type") == "tool_use":
                self.started = True
        elif kind == "content_block_delta":
            delta = obj.get("delta") or {}
            if delta.get("type") == "text_delta":
                self.add_text(delta.get("text") or "")
            elif delta.get("type") == "input_json_delta":
                block = self.blocks.setdefault(obj.get("index", 0), {"type": "tool_use", "id": "", "name": "", "json": []})
                block["json"].append(delta.get("partial_json") or "")
        elif kind == "message_delta":
            delta = obj.get("delta") or {}
            if delta.get("stop_reason"):
                self.reply.stop_reason = delta["stop_reason"]
            usage = obj.get("usage") or {}
            if usage.get("output_tokens") is not None:
                self.reply.output_tokens = int(usage["output_tokens"])
        elif kind == "message_stop":
            return True
        return False

    def complete(self, obj: dict[str, Any]) -> Reply:
        if obj.get("type") == "error":
            raise self.stream_error(obj)
        usage = obj.get("usage") or {}
        self.reply.input_tokens = int(usage.get("input_tokens") or 0)
        self.reply.output_tokens = int(usage.get("output_tokens") or 0)
        self.reply.stop_reason = obj.get("stop_reason") or ""
        for index, block in enumerate(obj.get("content") or []):
            if block.get("type") == "text":
                self.add_text(block.get("text") or "")
            elif block.get("type") == "tool_use":
                self.blocks[index] = {
                    "type": "tool_use", "id": block.get("id", ""), "name": block.get("name", ""),
                    "json": [json.dumps(block.get("input") or {})],
                }
        return self.finish()

    def finish(self) -> Reply:
        for index in sorted(self.blocks):
            block = self.blocks[index]
            if block["type"] == "tool_use":
                raw = "".join(block["json"]) or "{}"
                self.reply.tool_calls.append(
                    ToolCall(id=block["id"] or f"toolu_{index}", name=block["name"],
                             arguments=None, raw_arguments=raw)
                )
        return super().finish()


def _sse_events(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """(event, data) of each server-sent event."""
    event = ""
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
    if data:
        yield event, "\n".join(data)


# --- Messages --------------------------------------------------------------------------------------


def _openai_message(message: dict[str, Any]) -> dict[str, Any]:
    role = message["role"]
    if role == "tool":
        return {"role": "tool", "tool_call_id": message["tool_call_id"], "content": message["content"]}
    if role == "assistant" and message.get("tool_calls"):
        return {
            "role": "assistant",
            "content": message.get("content") or None,
            "tool_calls": [
                {"id": call["id"], "type": "function",
                 "function": {"name": call["name"], "arguments": json.dumps(call["arguments"])}}
                for call in message["tool_calls"]
            ],
        }
    return {"role": role, "content": message.get("content") or ""}


def _anthropic_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Anthropic wants user and assistant turns alternating, tool results inside user turns."""
    out: list[dict[str, Any]] = []
    for message in messages:
        role = message["role"]
        if role == "tool":
            role, blocks = "user", [
                {"type": "tool_result", "tool_use_id": message["tool_call_id"],
                 "content": message["content"]}
            ]
        elif role == "assistant":
            blocks = [{"type": "text", "text": message["content"]}] if message.get("content") else []
            blocks += [
                {"type": "tool_use", "id": call["id"], "name": call["name"], "input": call["arguments"]}
                for call in message.get("tool_calls") or []
            ]
        else:
            blocks = [{"type": "text", "text": message.get("content") or ""}]
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    return out


def _with_schema_instruction(system: str, schema: dict[str, Any] | None) -> str:
    if schema is None:
        return system
    instruction = (
        "Reply with one JSON value and nothing else (no prose, no code fence). It must "
        f"match this JSON Schema: {json.dumps(schema)}"
    )
    return f"{system}\n\n{instruction}" if system else instruction


def _parse_arguments(raw: str) -> dict[str, Any] | None:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# --- Errors ------------------------------------------------------------------------------------------


def _read_limited(response: httpx.Response, limit: int) -> str:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit].decode("utf-8", errors="replace")


def _error_message(raw: str) -> str:
    """The provider's own message: {"error": {"message"}} (OpenAI, Anthropic), else text."""
    try:
        body = json.loads(raw)
    except ValueError:
        text = " ".join(raw.split())
        return text[:500] or "(no message)"
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            message = error.get("message") or error.get("detail") or json.dumps(error)
        else:
            message = str(error)
    else:
        message = json.dumps(body)
    return str(message)[:500]


def _origin(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.host}" + (f":{parsed.port}" if parsed.port else "")


# --- Embeddings --------------------------------------------------------------------------------------

EMBED_BATCH = 64


def embed(
    secret: CredentialSecret,
    model: str,
    texts: list[str],
    *,
    redact: Redact,
    cancelled: Callable[[], bool] = lambda: False,
) -> tuple[list[list[float]], int]:
    """Vectors for `texts` from an OpenAI-compatible /embeddings endpoint, and the tokens
    it counted."""
    if secret.provider != "openai":
        raise FatalNodeError("embeddings need an OpenAI-compatible credential (provider openai)")
    base = (secret.base_url or OPENAI_BASE_URL).rstrip("/")
    headers = {"Content-Type": "application/json"}
    if secret.api_key:
        headers["Authorization"] = f"Bearer {secret.api_key}"
    vectors: list[list[float]] = []
    tokens = 0
    client = ChatClient(secret, redact=redact, cancelled=cancelled)
    for start in range(0, len(texts), EMBED_BATCH):
        batch = texts[start : start + EMBED_BATCH]

        def call(batch: list[str] = batch) -> dict[str, Any]:
            timeout = httpx.Timeout(connect=15.0, read=settings.BATON_LLM_IDLE_TIMEOUT, write=30.0, pool=15.0)
            try:
                with outbound_client().stream("POST", base + "/embeddings", headers=headers,
                                              json={"model": model, "input": batch},
                                              timeout=timeout) as response:
                    if response.status_code >= 400:
                        client._raise_for_status(response)
                    return client._json_body(response)
            except httpx.TimeoutException:
                raise _Retryable(f"the embeddings endpoint did not answer in time ({_origin(base)})") from None
            except (httpx.ConnectError, httpx.RemoteProtocolError) as exc:
                raise _Retryable(redact(f"could not reach {_origin(base)}: {exc}")) from None

        body = with_retries(call, redact, cancelled)
        rows = body.get("data")
        if not isinstance(rows, list) or len(rows) != len(batch):
            raise NodeError("the embeddings endpoint answered an unexpected shape")
        rows = sorted(rows, key=lambda row: row.get("index", 0) if isinstance(row, dict) else 0)
        for row in rows:
            vector = row.get("embedding") if isinstance(row, dict) else None
            if not isinstance(vector, list) or not vector:
                raise NodeError("the embeddings endpoint answered an item without a vector")
            vectors.append([float(x) for x in vector])
        usage = body.get("usage") or {}
        tokens += int(usage.get("prompt_tokens") or usage.get("total_tokens") or 0)
    return vectors, tokens
