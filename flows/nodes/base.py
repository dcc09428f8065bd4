"""The node contract: one class per node type, a declared schema plus `run`.

Node types never import models: what they need of the run comes through `NodeContext`,
which the run engine implements. Their config is a pydantic model whose JSON Schema drives
the editor's form and whose validation is the same on save and before each run.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt

Execution = Literal["inline", "queued"]
ERROR_HANDLE = "error"


@dataclass(frozen=True)
class Handle:
    name: str
    label: str = ""
    # An input that takes many edges (merge); else at most one edge may end in it.
    many: bool = False
    # An input that must be connected for the graph to be valid.
    required: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label or self.name.capitalize(),
            "many": self.many,
            "required": self.required,
        }


@dataclass(frozen=True)
class DynamicOutputs:
    """Output handles named by the items of a config list (router categories)."""

    source: str  # the config field holding the list
    key: str  # the item field naming the handle
    extra: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        return {"from": self.source, "key": self.key, "extra": list(self.extra)}


class NodeConfig(BaseModel):
    """Base of every config model: unknown keys are mistakes, so they are refused."""

    model_config = ConfigDict(extra="forbid")


# The longest a cached output is kept: a month; a longer wish is likely a mistake (a TTL
# in milliseconds) and would keep stale answers alive.
CACHE_TTL_MAX_SECONDS = 30 * 24 * 3600


class CacheSettings(BaseModel):
    """settings.cache: keep this node's outputs and answer the same request from them."""

    model_config = ConfigDict(extra="forbid")

    ttl: StrictInt = Field(
        ..., ge=1, le=CACHE_TTL_MAX_SECONDS,
        description="Seconds a cached output is used (at most 30 days)",
    )


class NodeSettings(BaseModel):
    """How the engine treats a node, the same for every type (data.settings)."""

    model_config = ConfigDict(extra="forbid")

    retries: int = Field(0, ge=0, le=10, description="Attempts after the first one fails")
    retry_backoff: float = Field(
        1.0, ge=0, le=3600, description="Seconds before the first retry; doubles each time"
    )
    timeout: float | None = Field(
        None, gt=0, le=86400, description="Seconds one attempt may take (empty: the default)"
    )
    on_error: Literal["fail", "continue", "route"] = Field(
        "fail",
        description="After the last attempt fails: fail the run, continue with a null "
        "output, or route the error out on the 'error' handle",
    )
    cache: CacheSettings | None = Field(
        None,
        description="Keep outputs and answer the same request (config, inputs, credential) "
        "from them instead of executing; absent: off",
    )


class NodeError(Exception):
    """A failure the node explains itself; its message is shown to the user as it is.
    `retry_after` (seconds) is the earliest a retry makes sense, when the other side said
    so (an HTTP Retry-After)."""

    retryable = True

    def __init__(self, message: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FatalNodeError(NodeError):
    """A failure that retrying cannot fix (bad config, refused address, 4xx)."""

    retryable = False


@dataclass(frozen=True)
class Arrival:
    """One value arriving on a many-valued input: from which node, and what."""

    source: str
    value: Any


@dataclass
class Emit:
    """A value sent out on some of the node's output handles only (the rest are skipped)."""

    value: Any
    handles: list[str]


@dataclass
class Suspend:
    """The node waits without holding a worker: until a time, or until resumed from outside.

    `state` is kept on the node run and given back to `resume`.
    """

    state: dict[str, Any] = field(default_factory=dict)
    until: datetime | None = None
    message: str = ""


@dataclass
class Continue:
    """Returned by `resume`: run the node's `run` again, as a queued task in a worker, with
    `ctx.state` holding `state`. `resume` runs inside the scheduler's locked step, so a node
    whose next move does I/O (an agent calling its model after a tool's sub-flow ended)
    continues this way instead of doing it there."""

    state: dict[str, Any] = field(default_factory=dict)
    message: str = ""


@dataclass(frozen=True)
class ChildRun:
    """A child run as its parent node sees it (ctx.child_runs)."""

    id: str
    key: str
    status: str
    outputs: dict[str, Any]
    error: dict[str, Any] | None
    usage: dict[str, Any]

    @property
    def ended(self) -> bool:
        return self.status in ("succeeded", "failed", "cancelled")


class CredentialSecret(Protocol):
    """A decrypted credential: only ever in a worker's memory, for the call at hand."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def provider(self) -> str: ...

    @property
    def api_key(self) -> str: ...

    @property
    def base_url(self) -> str: ...


T = TypeVar("T")


class NodeContext(Protocol):
    """What a running node sees of its run. Node types never import models: credentials,
    knowledge bases and child runs come through here (runs.execution.ExecutionContext)."""

    run_id: str
    node_id: str
    attempt: int
    run_inputs: dict[str, Any]
    team_id: int
    # The same for an attempt run again because its worker was lost, new for a retry:
    # sent as Idempotency-Key on outbound calls, so a lost attempt's side effect happens once
    # where the other side honours it.
    idempotency_key: str
    # What the node kept when it suspended or continued (see Continue); {} on a first run.
    state: dict[str, Any]

    def cancelled(self) -> bool:
        """The run was cancelled, or the attempt's time is up: stop at the next chance."""

    def interruptible(self, call: Callable[[], T]) -> T:
        """Run a blocking call (a request, a model's stream) so that cancelling the run or
        the attempt's time limit stops waiting for it at once; its exceptions pass through."""

    def emit_delta(self, text: str) -> None: ...

    def set_run_output(self, key: str, value: Any) -> None: ...

    def add_usage(self, **usage: float) -> None: ...

    def set_details(self, details: Any) -> None:
        """Keep something on the node run beside its output (an agent's steps)."""

    def credential(self, credential_id: int | None) -> CredentialSecret:
        """Decrypt a credential of the run's team; its values are redacted from then on."""

    def redact(self, value: T) -> T:
        """The value with every secret this node has loaded replaced by [redacted]."""

    def search_knowledge(
        self, knowledge_base: int | None, query: str, top_k: int, mode: str
    ) -> list[dict[str, Any]]: ...

    def start_child_run(self, flow_id: int | None, inputs: dict[str, Any], key: str) -> str:
        """Ask for a child run of a flow of the team; it starts when the node's outcome is
        recorded (so a node run twice does not start it twice). Returns its id."""

    def child_runs(self, run_ids: list[str]) -> list[ChildRun]: ...

    def cancel_child_runs(self, run_ids: list[str]) -> None: ...


class NodeType:
    type: ClassVar[str]
    version: ClassVar[int] = 1
    label: ClassVar[str]
    category: ClassVar[str] = "Core"
    description: ClassVar[str] = ""
    execution: ClassVar[Execution] = "inline"
    executable: ClassVar[bool] = True
    # Its Suspend waits for a person (an approval), not for a time or a child run.
    waits_for_people: ClassVar[bool] = False
    # Whether settings.cache may be set: False for types whose work is not a request that
    # the same inputs answer the same way (waiting, asking a person, child runs, writing
    # the run's inputs or outputs).
    cacheable: ClassVar[bool] = True
    inputs: ClassVar[tuple[Handle, ...]] = (Handle("in"),)
    outputs: ClassVar[tuple[Handle, ...]] = (Handle("out"),)
    dynamic_outputs: ClassVar[DynamicOutputs | None] = None
    Config: ClassVar[builtins.type[NodeConfig]] = NodeConfig

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Any) -> Any:
        raise NotImplementedError

    def resume(
        self, ctx: NodeContext, state: dict[str, Any], payload: Any, config: Any
    ) -> Any:
        """Finish a suspended node; `payload` is what resumed it (None for a timer).

        It runs inside the scheduler's locked step: keep it quick and free of I/O; return a
        value, Emit, Suspend (wait more), or Continue (go on in a worker)."""
        raise NotImplementedError(f"{self.type} nodes cannot be resumed")

    def check_resume(self, payload: Any) -> str | None:
        """A problem with a resume payload sent through the API, or None if acceptable."""
        return None

    # --- derived from the declaration -------------------------------------------------------
    def output_names(self, config: Any | None) -> list[str]:
        names = [handle.name for handle in self.outputs]
        dynamic = self.dynamic_outputs
        if dynamic is not None and config is not None:
            for item in getattr(config, dynamic.source, None) or []:
                name = item.get(dynamic.key) if isinstance(item, dict) else getattr(item, dynamic.key, None)
                if name and name not in names:
                    names.append(name)
            names.extend(extra for extra in dynamic.extra if extra not in names)
        return names

    def parse_config(self, raw: Any) -> Any:
        return self.Config.model_validate(raw if raw is not None else {})

    @classmethod
    def describe(cls) -> dict[str, Any]:
        return {
            "type": cls.type,
            "version": cls.version,
            "label": cls.label,
            "category": cls.category,
            "description": cls.description,
            "execution": cls.execution,
            "executable": cls.executable,
            "cacheable": cls.executable and cls.cacheable,
            "inputs": [handle.describe() for handle in cls.inputs],
            "outputs": [handle.describe() | {"many": False} for handle in cls.outputs],
            "dynamic_outputs": cls.dynamic_outputs.describe() if cls.dynamic_outputs else None,
            "config_schema": cls.Config.model_json_schema(),
            "config_defaults": _defaults(cls.Config),
            "settings_schema": NodeSettings.model_json_schema(),
        }


def _defaults(model: type[BaseModel]) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if not info.is_required():
            value = info.get_default(call_default_factory=True)
            defaults[name] = value.model_dump() if isinstance(value, BaseModel) else value
    return defaults
