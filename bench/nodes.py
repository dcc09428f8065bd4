"""A node type for benchmarks only (loaded with BATON_NODE_PLUGINS=bench.nodes)."""

import time
from typing import Any

from flows.nodes.base import Handle, NodeConfig, NodeContext, NodeType


class NoopNode(NodeType):
    type = "bench.noop"
    label = "No-op (queued)"
    category = "Benchmark"
    description = "Passes its input on, in a Celery task of its own."
    execution = "queued"
    inputs = (Handle("in", many=True),)

    class Config(NodeConfig):
        pass

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Config) -> Any:
        arrivals = inputs.get("in") or []
        return arrivals[0].value if len(arrivals) == 1 else None


class SleepNode(NodeType):
    type = "bench.sleep"
    label = "Sleep (queued)"
    category = "Benchmark"
    description = "Waits a few milliseconds, as a node doing I/O would, then passes its input on."
    execution = "queued"

    class Config(NodeConfig):
        ms: float = 20.0

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Config) -> Any:
        time.sleep(config.ms / 1000)
        return inputs.get("in")


NODE_TYPES = [NoopNode, SleepNode]
