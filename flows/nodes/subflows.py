"""`subflow` and `map`: flows of the team run as child runs of this one.

The node asks for its children and suspends: it waits holding no worker. Each child's end
wakes it (runs.children); `resume` reads the children's ends and finishes, fails, or
starts more. A child's inputs are the incoming value when it is an object, else
{"input": value}; its outputs (the run's `outputs` object) are what comes back.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictInt

from .base import (
    ChildRun,
    FatalNodeError,
    Handle,
    NodeConfig,
    NodeContext,
    NodeError,
    NodeType,
    Suspend,
)

MAX_MAP_ITEMS = 10_000


def flow_field() -> Any:
    return Field(
        None,
        description="The team's flow to run",
        json_schema_extra={"x-baton-picker": "flow"},
    )


def child_inputs(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"input": value}


def child_failure(child: ChildRun) -> str:
    message = (child.error or {}).get("message") or child.status
    return f"its run {child.id} {child.status}: {message}"


def add_child_usage(ctx: NodeContext, child: ChildRun) -> None:
    """A parent's usage includes its children's, so the top run's total covers all."""
    numbers = {k: v for k, v in child.usage.items() if isinstance(v, (int, float))}
    if numbers:
        ctx.add_usage(**numbers)


class SubflowNode(NodeType):
    type = "subflow"
    label = "Sub-flow"
    cacheable = False
    category = "Flows"
    description = "Runs another flow of the team as a child run with the input as its inputs; out: its outputs."
    execution = "queued"
    inputs = (Handle("in"),)

    class Config(NodeConfig):
        flow: StrictInt | None = flow_field()

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Config) -> Any:
        run_id = ctx.start_child_run(config.flow, child_inputs(inputs.get("in")), key="0")
        ctx.set_details({"children": [run_id]})
        return Suspend(state={"child": run_id}, message=f"waiting for its sub-flow run {run_id}")

    def resume(self, ctx: NodeContext, state: dict[str, Any], payload: Any, config: Config) -> Any:
        found = ctx.child_runs([state["child"]])
        if not found:
            raise NodeError(f"its sub-flow run {state['child']} is gone")
        child = found[0]
        if not child.ended:
            return Suspend(state=state, message=f"waiting for its sub-flow run {child.id}")
        add_child_usage(ctx, child)
        if child.status != "succeeded":
            raise NodeError(f"the sub-flow failed: {child_failure(child)}")
        return child.outputs


class MapNode(NodeType):
    type = "map"
    label = "Map"
    cacheable = False
    category = "Flows"
    description = (
        "Runs a flow once per item of the incoming list, as child runs, a few at a time; "
        "out: their outputs, in item order."
    )
    execution = "queued"
    inputs = (Handle("in", required=True),)

    class Config(NodeConfig):
        flow: StrictInt | None = flow_field()
        concurrency: int = Field(4, ge=1, le=64, description="Child runs at most at once")

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Config) -> Any:
        items = inputs.get("in")
        if not isinstance(items, list):
            raise FatalNodeError(f"map needs a list on its input, not {type(items).__name__}")
        if len(items) > MAX_MAP_ITEMS:
            raise FatalNodeError(f"the list has {len(items)} items; map takes at most {MAX_MAP_ITEMS}")
        if not items:
            return []
        state: dict[str, Any] = {"items": items, "next": 0, "running": {}, "results": {}, "runs": {}}
        return self._go_on(ctx, state, config)

    def resume(self, ctx: NodeContext, state: dict[str, Any], payload: Any, config: Config) -> Any:
        running: dict[str, str] = state["running"]
        for child in ctx.child_runs(list(running.values())):
            if not child.ended:
                continue
            index = child.key
            add_child_usage(ctx, child)
            del running[index]
            if child.status != "succeeded":
                # One item failed: the node fails; the items still running are not needed.
                ctx.cancel_child_runs(list(running.values()))
                ctx.set_details({"children": self._ordered_runs(state)})
                raise NodeError(f"item {index} failed: {child_failure(child)}")
            state["results"][index] = child.outputs
        return self._go_on(ctx, state, config)

    def _go_on(self, ctx: NodeContext, state: dict[str, Any], config: Config) -> Any:
        items = state["items"]
        while len(state["running"]) < config.concurrency and state["next"] < len(items):
            index = state["next"]
            run_id = ctx.start_child_run(config.flow, child_inputs(items[index]), key=str(index))
            state["running"][str(index)] = run_id
            state["runs"][str(index)] = run_id
            state["next"] = index + 1
        ctx.set_details({"children": self._ordered_runs(state)})
        if len(state["results"]) == len(items):
            return [state["results"][str(i)] for i in range(len(items))]
        done = len(state["results"])
        return Suspend(
            state=state,
            message=f"{done} of {len(items)} items done; {len(state['running'])} running",
        )

    @staticmethod
    def _ordered_runs(state: dict[str, Any]) -> list[str]:
        runs = state["runs"]
        return [runs[key] for key in sorted(runs, key=int)]


NODE_TYPES: list[type[NodeType]] = [SubflowNode, MapNode]

