"""The core node types: data in and out, templates, expressions, branching, HTTP, delay.

Their type names and handle names are a public contract (docs/api-shapes.md).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Literal

import httpx
from django.utils import timezone
from pydantic import Field, field_validator

from . import templating
from .base import (
    Emit,
    FatalNodeError,
    Handle,
    NodeConfig,
    NodeContext,
    NodeError,
    NodeType,
    Suspend,
)
from .outbound import outbound_client, retry_after_seconds, retryable_status

MAX_HTTP_RESPONSE_BYTES = 10 * 1024 * 1024


class InputNode(NodeType):
    type = "input"
    label = "Input"
    cacheable = False
    description = "Starts the flow with the run's inputs: one key, or the whole inputs object."
    inputs = ()

    class Config(NodeConfig):
        key: str = Field("", description="The input to emit; empty emits all inputs")
        default: Any = Field(None, description="Used when the run has no such input")
        description: str = Field("", description="Shown to whoever starts the run")

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Config) -> Any:
        if not config.key:
            return ctx.run_inputs
        return ctx.run_inputs.get(config.key, config.default)


class OutputNode(NodeType):
    type = "output"
    label = "Output"
    cacheable = False
    description = "Stores the incoming value as one of the run's outputs."
    inputs = (Handle("in", required=True),)
    outputs = ()

    class Config(NodeConfig):
        key: str = Field("output", min_length=1, max_length=100, description="Output name")

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Config) -> Any:
        value = inputs.get("in")
        ctx.set_run_output(config.key, value)
        return value


class TemplateNode(NodeType):
    type = "template"
    label = "Template"
    description = "Renders a Jinja2 template; `input` is the incoming value."

    class Config(NodeConfig):
        template: str = Field("{{ input }}", description="Jinja2 (sandboxed)")

        _check = field_validator("template")(lambda cls, v: templating.check_template(v))

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Config) -> Any:
        return templating.render(config.template, inputs.get("in"))


class TransformNode(NodeType):
    type = "transform"
    label = "Transform"
    description = "Reshapes the incoming value with a JMESPath expression."
    inputs = (Handle("in", required=True),)

    class Config(NodeConfig):
        expression: str = Field("@", min_length=1, description="JMESPath")

        _check = field_validator("expression")(lambda cls, v: templating.check_expression(v))

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Config) -> Any:
        return templating.search(config.expression, inputs.get("in"))


class ConditionNode(NodeType):
    type = "condition"
    label = "Condition"
    description = "Sends the value on 'true' or 'false' by a JMESPath test; the other branch is skipped."
    inputs = (Handle("in", required=True),)
    outputs = (Handle("true"), Handle("false"))

    class Config(NodeConfig):
        expression: str = Field(..., min_length=1, description="JMESPath; truthy → 'true'")

        _check = field_validator("expression")(lambda cls, v: templating.check_expression(v))

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Config) -> Emit:
        value = inputs.get("in")
        branch = "true" if templating.truthy(templating.search(config.expression, value)) else "false"
        return Emit(value=value, handles=[branch])


class MergeNode(NodeType):
    type = "merge"
    label = "Merge"
    description = "Joins branches: a list in edge order, or an object keyed by source node."
    inputs = (Handle("in", many=True, required=True),)

    class Config(NodeConfig):
        mode: Literal["list", "object"] = "list"

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Config) -> Any:
        arrivals = inputs.get("in") or []
        if config.mode == "object":
            return {arrival.source: arrival.value for arrival in arrivals}
        return [arrival.value for arrival in arrivals]


class HttpNode(NodeType):
    type = "http"
    label = "HTTP request"
    description = "Calls a URL; the reply comes out as {status, headers, body}."
    execution = "queued"

    class Config(NodeConfig):
        method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET"
        url: str = Field(..., min_length=1, description="Templated like a template node")
        headers: dict[str, str] = Field(default_factory=dict, description="Values are templated")
        body: str = Field("", description="Templated; sent as JSON when it parses as JSON")
        timeout: float = Field(30.0, gt=0, le=600, description="Seconds")

        _check_url = field_validator("url", "body")(lambda cls, v: templating.check_template(v))

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Config) -> Any:
        value = inputs.get("in")
        url = templating.render(config.url, value).strip()
        headers = {name: templating.render(text, value) for name, text in config.headers.items()}
        body = templating.render(config.body, value) if config.body else None
        if body is not None and not any(h.lower() == "content-type" for h in headers):
            headers["Content-Type"] = "application/json" if _is_json(body) else "text/plain"
        if not any(h.lower() == "idempotency-key" for h in headers):
            headers["Idempotency-Key"] = ctx.idempotency_key
        def call() -> tuple[httpx.Response, bytes]:
            stream = outbound_client().stream(
                config.method, url, headers=headers, content=body, timeout=config.timeout
            )
            with stream as reply:
                return reply, _read_limited(reply, ctx)

        try:
            reply, content = ctx.interruptible(call)
        except httpx.InvalidURL as exc:
            raise FatalNodeError(f"invalid URL {url!r}: {exc}") from None
        except httpx.UnsupportedProtocol:
            raise FatalNodeError(f"only http and https URLs are allowed: {url!r}") from None
        except httpx.TooManyRedirects:
            raise NodeError(f"too many redirects from {url}") from None
        except httpx.TimeoutException:
            raise NodeError(f"{config.method} {url} timed out after {config.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise NodeError(f"{config.method} {url} failed: {exc}") from None
        result = {
            "status": reply.status_code,
            "headers": dict(reply.headers),
            "body": _decode_body(reply, content),
        }
        if reply.status_code >= 400:
            message = f"{config.method} {url} answered {reply.status_code}: {_snippet(result['body'])}"
            if not retryable_status(reply.status_code):
                raise FatalNodeError(message)  # asking again gets the same answer
            retry_after = retry_after_seconds(reply.headers.get("retry-after"))
            raise NodeError(message, retry_after=retry_after)
        return result


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _read_limited(reply: httpx.Response, ctx: NodeContext) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in reply.iter_bytes():
        size += len(chunk)
        if size > MAX_HTTP_RESPONSE_BYTES:
            raise NodeError(f"the reply is larger than {MAX_HTTP_RESPONSE_BYTES} bytes")
        chunks.append(chunk)
        if ctx.cancelled():
            raise NodeError("cancelled")
    return b"".join(chunks)


def _decode_body(reply: httpx.Response, content: bytes) -> Any:
    text = content.decode(reply.encoding or "utf-8", errors="replace")
    if "json" in reply.headers.get("content-type", ""):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _snippet(body: Any) -> str:
    text = body if isinstance(body, str) else json.dumps(body)
    return text[:300] + ("…" if len(text) > 300 else "")


class DelayNode(NodeType):
    type = "delay"
    label = "Delay"
    cacheable = False
    description = "Passes the value on after waiting, without holding a worker."

    class Config(NodeConfig):
        seconds: float = Field(1.0, ge=0, le=30 * 24 * 3600)

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Config) -> Any:
        value = inputs.get("in")
        if config.seconds <= 0:
            return value
        until = timezone.now() + timedelta(seconds=config.seconds)
        return Suspend(state={"value": value}, until=until, message=f"waiting {config.seconds:g} s")

    def resume(self, ctx: NodeContext, state: dict[str, Any], payload: Any, config: Config) -> Any:
        return state.get("value")


class NoteNode(NodeType):
    type = "note"
    label = "Sticky note"
    category = "Annotation"
    description = "A note on the canvas; it does not run."
    executable = False
    inputs = ()
    outputs = ()

    class Config(NodeConfig):
        text: str = Field("", max_length=20000)
        color: str = Field("yellow", max_length=20)


NODE_TYPES: list[type[NodeType]] = [
    InputNode,
    OutputNode,
    TemplateNode,
    TransformNode,
    ConditionNode,
    MergeNode,
    HttpNode,
    DelayNode,
    NoteNode,
]
