"""Model nodes: `llm`, `router` and `agent` (handles and config as in docs/api-shapes.md).

They reach their credential through the context (`ctx.credential`), which decrypts it in
the worker and redacts its values from everything the node hands back; the model call
itself is flows.nodes.providers. (One module for the family, as each node type module is;
the agent's tools and loop make it the longest.)
"""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Annotated, Any, Literal

import httpx
import jsonschema
from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from . import sandbox, templating
from .base import (
    Continue,
    DynamicOutputs,
    Emit,
    FatalNodeError,
    Handle,
    NodeConfig,
    NodeContext,
    NodeError,
    NodeType,
    Suspend,
)
from .outbound import outbound_client
from .providers import ChatClient, ChatRequest, Reply, ToolSpec, cost_usd

MAX_TOOL_RESULT_CHARS = 8000


def credential_field() -> Any:
    return Field(
        None,
        description="The team credential to call the model with",
        json_schema_extra={"x-baton-picker": "credential"},
    )


def model_field() -> Any:
    return Field("", max_length=200, description="Model name, e.g. gpt-4o-mini or claude-3-5-haiku-latest")


def client_for(ctx: NodeContext, credential: int | None, *, stream: bool = True) -> ChatClient:
    secret = ctx.credential(credential)
    return ChatClient(
        secret,
        redact=ctx.redact,
        on_delta=ctx.emit_delta if stream else None,
        cancelled=ctx.cancelled,
        idempotency_key=ctx.idempotency_key,
        interruptible=ctx.interruptible,
    )


def count_usage(ctx: NodeContext, model: str, reply: Reply) -> None:
    ctx.add_usage(
        input_tokens=reply.input_tokens,
        output_tokens=reply.output_tokens,
        cost_usd=cost_usd(model, reply.input_tokens, reply.output_tokens),
    )


def require_model(model: str) -> str:
    if not model.strip():
        raise FatalNodeError("no model named: set `model` in the node's config")
    return model.strip()


def _check_schema(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    if schema is None:
        return None
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ValueError(f"not a valid JSON Schema: {exc.message}") from None
    return schema


# --- llm -----------------------------------------------------------------------------------------


class LlmNode(NodeType):
    type = "llm"
    label = "LLM"
    category = "AI"
    description = (
        "Asks a model; its reply streams in and comes out as text, or as the parsed object "
        "when a JSON Schema is given."
    )
    execution = "queued"
    inputs = (Handle("in"),)

    class Config(NodeConfig):
        credential: StrictInt | None = credential_field()
        model: str = model_field()
        system: str = Field("", description="System prompt; a template over the input")
        prompt: str = Field("{{ input }}", description="A template over the input")
        temperature: float | None = Field(None, ge=0, le=2)
        max_tokens: int | None = Field(None, ge=1, le=200_000)
        json_schema: dict[str, Any] | None = Field(
            None, description="When set, the reply must be JSON valid against this schema"
        )

        _templates = field_validator("system", "prompt")(lambda cls, v: templating.check_template(v))
        _schema = field_validator("json_schema")(lambda cls, v: _check_schema(v))

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Config) -> Any:
        value = inputs.get("in")
        model = require_model(config.model)
        request = ChatRequest(
            model=model,
            system=templating.render(config.system, value) if config.system else "",
            messages=[{"role": "user", "content": templating.render(config.prompt, value)}],
            temperature=config.temperature,
            max_tokens=config.max_tokens,
            json_schema=config.json_schema,
        )
        reply = client_for(ctx, config.credential).chat(request)
        count_usage(ctx, model, reply)
        if config.json_schema is not None:
            return parse_structured(reply.text, config.json_schema)
        return reply.text


_FENCE = re.compile(r"^\s*```[a-zA-Z0-9_-]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


def parse_structured(text: str, schema: dict[str, Any]) -> Any:
    """The reply as JSON valid against `schema`; NodeError (the attempt fails) if not."""
    candidate = text.strip()
    fenced = _FENCE.match(candidate)
    if fenced:
        candidate = fenced.group(1).strip()
    try:
        value = json.loads(candidate)
    except ValueError as exc:
        raise NodeError(f"the reply is not valid JSON ({exc}); it began: {text[:200]!r}") from None
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "the top level"
        raise NodeError(f"the reply does not match json_schema at {where}: {first.message}")
    return value


# --- router ----------------------------------------------------------------------------------------

RESERVED_HANDLES = {"other", "error"}


class Category(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_-]+$")
    description: str = Field("", max_length=2000)
    keywords: list[str] = Field(default_factory=list, max_length=200)


class RouterNode(NodeType):
    type = "router"
    label = "Router"
    category = "AI"
    description = (
        "Sends the input, unchanged, out on the category it belongs to (or 'other'): by "
        "keywords, or as a model classifies it."
    )
    execution = "queued"
    inputs = (Handle("in", required=True),)
    outputs = ()
    dynamic_outputs = DynamicOutputs(source="categories", key="name", extra=("other",))

    class Config(NodeConfig):
        mode: Literal["keywords", "llm"] = "keywords"
        categories: list[Category] = Field(default_factory=list, max_length=50)
        text: str = Field(
            "", description="What to classify: a template over the input (empty: the input itself)"
        )
        credential: StrictInt | None = credential_field()
        model: str = model_field()

        _text = field_validator("text")(lambda cls, v: templating.check_template(v))

        @field_validator("categories")
        @classmethod
        def _unique(cls, categories: list[Category]) -> list[Category]:
            seen: set[str] = set()
            for category in categories:
                if category.name in RESERVED_HANDLES:
                    raise ValueError(f"a category cannot be named {category.name!r}")
                if category.name in seen:
                    raise ValueError(f"category {category.name!r} is listed twice")
                seen.add(category.name)
            return categories

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Config) -> Emit:
        value = inputs.get("in")
        text = templating.render(config.text, value) if config.text else as_text(value)
        if config.mode == "keywords":
            chosen = classify_by_keywords(text, config.categories)
            ctx.set_details({"category": chosen})
        else:
            chosen = self._classify_with_model(ctx, text, config)
        return Emit(value=value, handles=[chosen])

    def _classify_with_model(self, ctx: NodeContext, text: str, config: Config) -> str:
        model = require_model(config.model)
        if not config.categories:
            return "other"
        lines = [f"- {c.name}: {c.description or ', '.join(c.keywords) or c.name}" for c in config.categories]
        system = (
            "You sort messages into categories. The categories are:\n"
            + "\n".join(lines)
            + "\n- other: none of the above\n"
            "Answer with the name of the one category that fits best, and nothing else."
        )
        request = ChatRequest(
            model=model, system=system, messages=[{"role": "user", "content": text}],
            temperature=0, max_tokens=20,
        )
        reply = client_for(ctx, config.credential, stream=False).chat(request)
        count_usage(ctx, model, reply)
        chosen = category_in_reply(reply.text, [c.name for c in config.categories])
        ctx.set_details({"category": chosen, "reply": reply.text[:500]})
        return chosen


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def classify_by_keywords(text: str, categories: list[Category]) -> str:
    """The category with the most of its keywords in the text (each counted once; a
    keyword matches at the start of a word, so "refund" finds "refunds"); the first
    listed wins a tie; no keyword at all is 'other'."""
    lowered = text.lower()
    best, best_hits = "other", 0
    for category in categories:
        hits = sum(
            1 for keyword in {k.strip().lower() for k in category.keywords if k.strip()}
            if re.search(r"(?<!\w)" + re.escape(keyword), lowered)
        )
        if hits > best_hits:
            best, best_hits = category.name, hits
    return best


def category_in_reply(reply: str, names: list[str]) -> str:
    """The category a model's answer names: exactly, else the first name mentioned."""
    cleaned = reply.strip().strip("`'\".:*").strip().lower()
    by_lower = {name.lower(): name for name in names}
    if cleaned in by_lower:
        return by_lower[cleaned]
    found = [
        (match.start(), name)
        for name in names
        if (match := re.search(r"(?<![\w-])" + re.escape(name.lower()) + r"(?![\w-])", reply.lower()))
    ]
    return min(found)[1] if found else "other"


# --- agent ------------------------------------------------------------------------------------------

TOOL_NAME = r"^[A-Za-z0-9_-]{1,64}$"
ANY_OBJECT: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": True}


class FlowTool(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["flow"] = "flow"
    flow: StrictInt | None = Field(None, json_schema_extra={"x-baton-picker": "flow"})
    name: str = Field("", max_length=64, description="Tool name the model sees (default: flow_<id>)")
    description: str = Field("", max_length=2000)
    parameters: dict[str, Any] = Field(
        default_factory=lambda: dict(ANY_OBJECT),
        description="JSON Schema of the flow's inputs, as the model should send them",
    )


class HttpTool(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["http"] = "http"
    name: str = Field("http_request", max_length=64)
    description: str = Field("Calls an HTTP API and returns its status and body.", max_length=2000)
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: str = Field(..., min_length=1, description="A template over the model's arguments")
    headers: dict[str, str] = Field(default_factory=dict)
    body: str = Field("", description="A template over the model's arguments")
    parameters: dict[str, Any] = Field(default_factory=lambda: dict(ANY_OBJECT))
    timeout: float = Field(30.0, gt=0, le=300)

    _templates = field_validator("url", "body")(lambda cls, v: templating.check_template(v))


class CodeTool(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["code"] = "code"
    name: str = Field("run_python", max_length=64)
    description: str = Field(
        "Runs a Python script (standard library only, no network) and returns what it "
        "printed, or the error and traceback if it failed.",
        max_length=2000,
    )
    timeout: float = Field(10.0, gt=0, le=120)


Tool = Annotated[FlowTool | HttpTool | CodeTool, Field(discriminator="type")]


def tool_name(tool: FlowTool | HttpTool | CodeTool) -> str:
    if isinstance(tool, FlowTool):
        return tool.name or f"flow_{tool.flow}"
    return tool.name


class AgentNode(NodeType):
    type = "agent"
    label = "Agent"
    category = "AI"
    description = (
        "A model that uses tools (the team's flows, HTTP, Python) in a loop until it "
        "answers; out: the final answer, with every step kept on the node run."
    )
    execution = "queued"
    inputs = (Handle("in"),)

    class Config(NodeConfig):
        credential: StrictInt | None = credential_field()
        model: str = model_field()
        system: str = Field("", description="System prompt; a template over the input")
        prompt: str = Field("{{ input }}", description="The task: a template over the input")
        tools: list[Tool] = Field(default_factory=list, max_length=32)
        max_steps: int = Field(8, ge=1, le=50, description="Model calls at most")
        temperature: float | None = Field(None, ge=0, le=2)
        max_tokens: int | None = Field(None, ge=1, le=200_000)

        _templates = field_validator("system", "prompt")(lambda cls, v: templating.check_template(v))

        @model_validator(mode="after")
        def _names(self) -> AgentNode.Config:
            seen: set[str] = set()
            for tool in self.tools:
                name = tool_name(tool)
                if not re.match(TOOL_NAME, name):
                    raise ValueError(f"tool name {name!r} may only have letters, digits, _ and -")
                if name in seen:
                    raise ValueError(f"two tools are named {name!r}")
                seen.add(name)
            return self

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Config) -> Any:
        if any(isinstance(tool, CodeTool) for tool in config.tools):
            sandbox.check_allowed()
        model = require_model(config.model)
        state = dict(ctx.state) if ctx.state.get("messages") else {}
        if not state:
            value = inputs.get("in")
            state = {
                "system": templating.render(config.system, value) if config.system else "",
                "messages": [{"role": "user", "content": templating.render(config.prompt, value)}],
                "steps": [],
            }
        client = client_for(ctx, config.credential)
        tools = {tool_name(tool): tool for tool in config.tools}
        specs = [
            ToolSpec(name, tool.description or f"Runs flow {getattr(tool, 'flow', '')}", _parameters(tool))
            for name, tool in tools.items()
        ]
        while True:
            steps: list[dict[str, Any]] = state["steps"]
            if len(steps) >= config.max_steps:
                ctx.set_details({"steps": steps})
                raise FatalNodeError(f"the agent did not finish within max_steps ({config.max_steps})")
            if steps:
                ctx.emit_delta("\n\n")
            reply = client.chat(ChatRequest(
                model=model, system=state["system"], messages=state["messages"], tools=specs,
                temperature=config.temperature, max_tokens=config.max_tokens,
            ))
            count_usage(ctx, model, reply)
            step: dict[str, Any] = {"step": len(steps) + 1, "text": reply.text, "tool_calls": []}
            steps.append(step)
            if not reply.tool_calls:
                ctx.set_details({"steps": steps})
                return reply.text
            state["messages"].append({
                "role": "assistant", "content": reply.text,
                "tool_calls": [call.as_message_part() for call in reply.tool_calls],
            })
            waiting: dict[str, str] = {}
            for call in reply.tool_calls:
                record = {"id": call.id, "name": call.name, "arguments": call.arguments}
                step["tool_calls"].append(record)
                tool = tools.get(call.name)
                if tool is None:
                    result = f"error: there is no tool named {call.name!r}"
                elif call.arguments is None:
                    result = f"error: the arguments must be a JSON object, not {call.raw_arguments[:200]!r}"
                elif isinstance(tool, FlowTool):
                    run_id = ctx.start_child_run(tool.flow, call.arguments, key=call.id)
                    record["run"] = run_id
                    waiting[call.id] = run_id
                    continue
                elif isinstance(tool, HttpTool):
                    result = ctx.interruptible(partial(_call_http, tool, call.arguments))
                else:
                    result = _run_code(tool, call.arguments)
                result = ctx.redact(result)[:MAX_TOOL_RESULT_CHARS]
                record["result"] = result
                state["messages"].append(
                    {"role": "tool", "tool_call_id": call.id, "name": call.name, "content": result}
                )
            ctx.set_details({"steps": steps})
            if waiting:
                state["waiting"] = waiting
                return Suspend(state=state, message=f"waiting for {len(waiting)} tool flow run(s)")

    def resume(self, ctx: NodeContext, state: dict[str, Any], payload: Any, config: Config) -> Any:
        waiting: dict[str, str] = state.get("waiting") or {}
        children = {child.id: child for child in ctx.child_runs(list(waiting.values()))}
        if any(run_id not in children or not children[run_id].ended for run_id in waiting.values()):
            if all(run_id not in children for run_id in waiting.values()):
                raise NodeError("the agent's tool runs are gone")
            return Suspend(state=state, message=f"waiting for {len(waiting)} tool flow run(s)")
        step = state["steps"][-1]
        for call_id, run_id in waiting.items():
            child = children[run_id]
            ctx.add_usage(**{k: v for k, v in child.usage.items() if isinstance(v, (int, float))})
            if child.status == "succeeded":
                result = json.dumps(child.outputs, ensure_ascii=False, default=str)
            else:
                result = f"error: the flow run {child.status}: {(child.error or {}).get('message', '')}"
            result = result[:MAX_TOOL_RESULT_CHARS]
            for record in step["tool_calls"]:
                if record["id"] == call_id:
                    record["result"] = result
            state["messages"].append({"role": "tool", "tool_call_id": call_id, "name": "", "content": result})
        state.pop("waiting", None)
        ctx.set_details({"steps": state["steps"]})
        return Continue(state=state, message="its tools answered; asking the model again")


def _parameters(tool: FlowTool | HttpTool | CodeTool) -> dict[str, Any]:
    if isinstance(tool, CodeTool):
        return {
            "type": "object",
            "properties": {"code": {"type": "string", "description": "A complete Python script"}},
            "required": ["code"],
        }
    return tool.parameters


def _call_http(tool: HttpTool, arguments: dict[str, Any]) -> str:
    try:
        url = templating.render(tool.url, arguments).strip()
        headers = {k: templating.render(v, arguments) for k, v in tool.headers.items()}
        body = templating.render(tool.body, arguments) if tool.body else None
    except NodeError as exc:
        return f"error: {exc}"
    try:
        with outbound_client().stream(
            tool.method, url, headers=headers, content=body, timeout=tool.timeout
        ) as reply:
            content = b""
            for chunk in reply.iter_bytes():
                content += chunk
                if len(content) >= MAX_TOOL_RESULT_CHARS * 4:
                    break
    except FatalNodeError as exc:
        return f"error: {exc}"
    except httpx.HTTPError as exc:
        return f"error: {tool.method} {url} failed: {exc}"
    text = content.decode(reply.encoding or "utf-8", errors="replace")[:MAX_TOOL_RESULT_CHARS]
    return json.dumps({"status": reply.status_code, "body": text}, ensure_ascii=False)


def _run_code(tool: CodeTool, arguments: dict[str, Any]) -> str:
    code = arguments.get("code")
    if not isinstance(code, str) or not code.strip():
        return "error: send the Python script as the string argument `code`"
    result = sandbox.run_python(code, mode="script", timeout=tool.timeout)
    if result.ok:
        return f"exit: ok\nprinted:\n{result.stdout}"
    parts = ["exit: failed", result.traceback.strip() or result.error]
    if result.stdout:
        parts.append(f"printed before failing:\n{result.stdout}")
    return "\n".join(parts)


NODE_TYPES: list[type[NodeType]] = [LlmNode, RouterNode, AgentNode]
