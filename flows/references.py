"""What a graph's nodes name outside themselves: flows, credentials, knowledge bases.

A node type marks such config fields with `json_schema_extra={"x-baton-picker": <kind>}`
(the editor shows a picker for them); the marks are found here in nested models and lists
too (an agent's flow tools), so a new node type needs nothing more than the mark.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError

from .nodes import get_node_type
from .nodes.base import NodeType

PICKER = "x-baton-picker"


def _picked(model: BaseModel, kind: str) -> Iterator[Any]:
    for name, info in type(model).model_fields.items():
        value = getattr(model, name, None)
        extra = info.json_schema_extra
        if isinstance(extra, dict) and extra.get(PICKER) == kind:
            if value is not None:
                yield value
            continue
        yield from _nested(value, kind)


def _nested(value: Any, kind: str) -> Iterator[Any]:
    if isinstance(value, BaseModel):
        yield from _picked(value, kind)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _nested(item, kind)


def references_in(config: Any, kind: str) -> list[Any]:
    """The values of a parsed config's fields that name a `kind` ("flow", "credential",
    "knowledge_base"), in field order, without repeats."""
    if not isinstance(config, BaseModel):
        return []
    return list(dict.fromkeys(_picked(config, kind)))


@cache
def _names_any(node_type: NodeType, kind: str) -> bool:
    schema = json.dumps(node_type.Config.model_json_schema())
    return f'"{PICKER}": "{kind}"' in schema


def graph_references(graph: Any, kind: str) -> list[tuple[str, Any]]:
    """(node id, value) for every reference of a kind in a raw graph. Nodes whose config
    does not parse are left out (the graph check reports them)."""
    found: list[tuple[str, Any]] = []
    nodes = graph.get("nodes") if isinstance(graph, dict) else None
    for raw in nodes if isinstance(nodes, list) else []:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            continue
        node_type = get_node_type(str(raw.get("type", "")))
        if node_type is None or not _names_any(node_type, kind):
            continue
        data = raw.get("data")
        try:
            config = node_type.parse_config(data.get("config") if isinstance(data, dict) else None)
        except (ValidationError, ValueError, TypeError):
            continue
        found.extend((raw["id"], value) for value in references_in(config, kind))
    return found


def call_cycle(
    start: int, graph: Any, calls_of: Callable[[int], list[int]]
) -> tuple[str, list[int]] | None:
    """Whether flow `start`, with this graph, would call itself directly or through the
    flows it calls: (the node that begins the loop, [start, ..., start]) or None.
    `calls_of(flow id)` gives the flows another flow calls."""
    for node_id, target in graph_references(graph, "flow"):
        path = _path(target, start, calls_of, seen=set())
        if path is not None:
            return node_id, [start, *path]
    return None


def _path(
    current: int, goal: int, calls_of: Callable[[int], list[int]], seen: set[int]
) -> list[int] | None:
    # Iterative depth-first search: a team's flows may chain deeper than Python recurses.
    stack: list[tuple[int, list[int]]] = [(current, [current])]
    while stack:
        flow_id, path = stack.pop()
        if flow_id == goal:
            return path
        if flow_id in seen:
            continue
        seen.add(flow_id)
        stack.extend((called, [*path, called]) for called in reversed(calls_of(flow_id)))
    return None
