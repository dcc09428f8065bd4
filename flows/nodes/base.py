"""The node contract: one class per node type, a declared schema plus `run`.

Node types never import models: what they need of the run comes through `NodeContext`,
which the run engine implements. Their config is a pydantic model whose JSON Schema drives
the editor's form and whose validation is the same on save and before each run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

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


class NodeError(Exception):
    """A failure the node explains itself; its message is shown to the user as it is."""

    retryable = True


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


class NodeContext(Protocol):
    """What a running node sees of its run."""

    run_id: str
    node_id: str
    attempt: int
    run_inputs: dict[str, Any]

    def cancelled(self) -> bool: ...

    def emit_delta(self, text: str) -> None: ...

    def set_run_output(self, key: str, value: Any) -> None: ...


class NodeType:
    type: ClassVar[str]
    version: ClassVar[int] = 1
    label: ClassVar[str]
    category: ClassVar[str] = "Core"
    description: ClassVar[str] = ""
    execution: ClassVar[Execution] = "inline"
    executable: ClassVar[bool] = True
    inputs: ClassVar[tuple[Handle, ...]] = (Handle("in"),)
    outputs: ClassVar[tuple[Handle, ...]] = (Handle("out"),)
    dynamic_outputs: ClassVar[DynamicOutputs | None] = None
    Config: ClassVar[type[NodeConfig]] = NodeConfig

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Any) -> Any:
        raise NotImplementedError

    def resume(
        self, ctx: NodeContext, state: dict[str, Any], payload: Any, config: Any
    ) -> Any:
        """Finish a suspended node; `payload` is what resumed it (None for a timer)."""
        raise NotImplementedError(f"{self.type} nodes cannot be resumed")

    # --- derived from the declaration -------------------------------------------------------
    def input_names(self) -> set[str]:
        return {handle.name for handle in self.inputs}

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
