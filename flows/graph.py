"""The graph format (React Flow's nodes and edges) and its validation.

`check_graph` is the one validator, used on save and before every run. It reports every
problem it finds, each naming the node or edge it concerns, and returns the graph in
normal form (edge handles filled in where a node has only one).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, TypedDict

from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .nodes import get_node_type, templating
from .nodes.base import ERROR_HANDLE, NodeSettings, NodeType

MAX_ID_LENGTH = 100


class GraphError(TypedDict, total=False):
    node_id: str
    edge_id: str
    message: str


class _Position(BaseModel):
    model_config = ConfigDict(extra="allow")
    x: float = 0
    y: float = 0


class _Pin(BaseModel):
    """data.pinned: the output a run uses instead of executing the node."""

    model_config = ConfigDict(extra="forbid")
    output: Any


class _NodeData(BaseModel):
    model_config = ConfigDict(extra="allow")
    label: str = Field("", max_length=200)
    config: dict[str, Any] = Field(default_factory=dict)
    settings: dict[str, Any] = Field(default_factory=dict)
    pinned: _Pin | None = None


class _Node(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = Field(..., min_length=1, max_length=MAX_ID_LENGTH)
    type: str = Field(..., min_length=1, max_length=100)
    position: _Position = Field(default_factory=_Position)
    data: _NodeData = Field(default_factory=lambda: _NodeData.model_validate({}))


class _Edge(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = Field(..., min_length=1, max_length=MAX_ID_LENGTH)
    source: str = Field(..., min_length=1)
    target: str = Field(..., min_length=1)
    sourceHandle: str | None = None  # noqa: N815 - React Flow's spelling
    targetHandle: str | None = None  # noqa: N815


EMPTY_GRAPH: dict[str, list] = {"nodes": [], "edges": []}


@dataclass
class CheckedNode:
    id: str
    type: NodeType
    config: Any
    settings: NodeSettings
    raw: dict[str, Any]


@dataclass
class GraphCheck:
    errors: list[GraphError] = field(default_factory=list)
    graph: dict[str, Any] = field(default_factory=lambda: dict(EMPTY_GRAPH))
    nodes: dict[str, CheckedNode] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors

    def node_error(self, node_id: str, message: str) -> None:
        self.errors.append({"node_id": node_id, "message": message})

    def edge_error(self, edge_id: str, message: str) -> None:
        self.errors.append({"edge_id": edge_id, "message": message})


def _pydantic_messages(exc: ValidationError, prefix: str = "") -> list[str]:
    messages = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        where = f"{prefix}.{where}" if prefix and where else (prefix or where)
        text = error["msg"]
        if text.startswith("Value error, "):
            text = text[len("Value error, ") :]
        messages.append(f"{where}: {text}" if where else text)
    return messages


def graph_digest(graph: Any) -> str:
    """What a graph is, in 64 hex digits: equal graphs (whatever their key order) have the
    same digest."""
    return hashlib.sha256(json.dumps(graph, sort_keys=True, default=str).encode()).hexdigest()


def check_graph(raw: Any) -> GraphCheck:
    check = GraphCheck()
    if not isinstance(raw, dict):
        check.errors.append({"message": "the graph must be an object with 'nodes' and 'edges'"})
        return check
    raw_nodes = raw.get("nodes", [])
    raw_edges = raw.get("edges", [])
    if not isinstance(raw_nodes, list) or not isinstance(raw_edges, list):
        check.errors.append({"message": "'nodes' and 'edges' must be lists"})
        return check
    if len(raw_nodes) > settings.BATON_MAX_NODES:
        check.errors.append(
            {"message": f"the graph has {len(raw_nodes)} nodes; the limit is {settings.BATON_MAX_NODES}"}
        )
        return check
    if len(raw_edges) > settings.BATON_MAX_EDGES:
        check.errors.append(
            {"message": f"the graph has {len(raw_edges)} edges; the limit is {settings.BATON_MAX_EDGES}"}
        )
        return check

    # Each template is bounded; together, a graph's are given a time budget too.
    with templating.check_budget():
        nodes_out = _check_nodes(check, raw_nodes)
    edges_out = _check_edges(check, raw_edges)
    _check_required_inputs(check, edges_out)
    _check_cycles(check, edges_out)
    check.graph = {**raw, "nodes": nodes_out, "edges": edges_out}
    return check


def _parse_item(check: GraphCheck, model, raw: Any, label: str, report) -> Any:
    """One node or edge parsed, or None with its problems reported: on the item when it
    has a usable id, else by its place in the list."""
    if not isinstance(raw, dict):
        check.errors.append({"message": f"{label} must be an object"})
        return None
    item_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for message in _pydantic_messages(exc):
            if item_id:
                report(item_id, message)
            else:
                check.errors.append({"message": f"{label}: {message}"})
        return None


def _check_nodes(check: GraphCheck, raw_nodes: list) -> list[dict[str, Any]]:
    out = []
    seen_ids: set[str] = set()
    for index, raw_node in enumerate(raw_nodes):
        node = _parse_item(check, _Node, raw_node, f"nodes[{index}]", check.node_error)
        if node is None:
            continue
        if node.id in seen_ids:
            check.node_error(node.id, f"node id {node.id!r} is used more than once")
            continue
        seen_ids.add(node.id)
        out.append(raw_node)
        node_type = get_node_type(node.type)
        if node_type is None:
            check.node_error(node.id, f"unknown node type {node.type!r}")
            continue
        try:
            config = node_type.parse_config(node.data.config)
        except ValidationError as exc:
            for message in _pydantic_messages(exc, "config"):
                check.node_error(node.id, message)
            continue
        try:
            node_settings = NodeSettings.model_validate(node.data.settings)
        except ValidationError as exc:
            for message in _pydantic_messages(exc, "settings"):
                check.node_error(node.id, message)
            continue
        if node_settings.cache is not None and not (node_type.executable and node_type.cacheable):
            check.node_error(
                node.id,
                f"settings.cache: a {node_type.type} node cannot be cached: it waits, asks a "
                "person, starts child runs or reads or writes the run itself, so the same "
                "inputs do not stand for the same work",
            )
            continue
        if node.data.pinned is not None and not _check_pin(check, node.id, node_type, config, node.data.pinned):
            continue
        check.nodes[node.id] = CheckedNode(node.id, node_type, config, node_settings, raw_node)
    return out


def _check_pin(check: GraphCheck, node_id: str, node_type: NodeType, config: Any, pin: _Pin) -> bool:
    if not node_type.executable or not node_type.output_names(config):
        # A node without outputs (`output`) has nothing to hand on: running it is its point.
        check.node_error(node_id, f"pinned: a {node_type.type} node has no output to pin")
        return False
    size = len(json.dumps(pin.output, ensure_ascii=False))
    if size > settings.BATON_NODE_OUTPUT_MAX_BYTES:
        check.node_error(
            node_id,
            f"pinned: the output is {size} bytes; the limit is {settings.BATON_NODE_OUTPUT_MAX_BYTES}",
        )
        return False
    return True


def pinned_outputs(check: GraphCheck) -> dict[str, Any]:
    """The outputs pinned on the graph's nodes (data.pinned), by node id."""
    pins = {}
    for node_id, node in check.nodes.items():
        pin = (node.raw.get("data") or {}).get("pinned")
        if isinstance(pin, dict) and "output" in pin:
            pins[node_id] = pin["output"]
    return pins


def without_pins(graph: dict[str, Any]) -> dict[str, Any]:
    """The graph with no node's data.pinned (what a version publishes unless asked)."""
    nodes = []
    for raw in graph.get("nodes", []):
        data = raw.get("data") if isinstance(raw, dict) else None
        if isinstance(data, dict) and "pinned" in data:
            raw = {**raw, "data": {k: v for k, v in data.items() if k != "pinned"}}
        nodes.append(raw)
    return {**graph, "nodes": nodes}


def _check_edges(check: GraphCheck, raw_edges: list) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen_ids: set[str] = set()
    seen_links: set[tuple] = set()
    single_inputs_taken: dict[tuple[str, str], str] = {}
    for index, raw_edge in enumerate(raw_edges):
        edge = _parse_item(check, _Edge, raw_edge, f"edges[{index}]", check.edge_error)
        if edge is None:
            continue
        if edge.id in seen_ids:
            check.edge_error(edge.id, f"edge id {edge.id!r} is used more than once")
            continue
        seen_ids.add(edge.id)
        source = check.nodes.get(edge.source)
        target = check.nodes.get(edge.target)
        problems = []
        if source is None:
            problems.append(_missing_node_message(check, edge.source, "source"))
        if target is None:
            problems.append(_missing_node_message(check, edge.target, "target"))
        if source is None or target is None:
            for problem in problems:
                check.edge_error(edge.id, problem)
            continue
        if edge.source == edge.target:
            check.edge_error(edge.id, f"edge connects node {edge.source!r} to itself")
            continue

        source_handle = edge.sourceHandle
        outputs = source.type.output_names(source.config)
        if source_handle is None:
            if len(outputs) != 1:
                check.edge_error(
                    edge.id,
                    f"edge must name a sourceHandle: node {source.id!r} has outputs "
                    f"{', '.join(outputs) or 'none'}",
                )
                continue
            source_handle = outputs[0]
        if source_handle == ERROR_HANDLE and source.type.executable:
            if source.settings.on_error != "route":
                check.edge_error(
                    edge.id,
                    f"edge leaves the error handle of node {source.id!r}, whose on_error is "
                    f"{source.settings.on_error!r}; set it to 'route'",
                )
                continue
        elif source_handle not in outputs:
            check.edge_error(
                edge.id,
                f"node {source.id!r} ({source.type.type}) has no output handle "
                f"{source_handle!r}; it has: {', '.join(outputs) or 'none'}",
            )
            continue

        target_handle = edge.targetHandle
        inputs = {handle.name: handle for handle in target.type.inputs}
        if target_handle is None:
            if len(inputs) != 1:
                check.edge_error(
                    edge.id,
                    f"edge must name a targetHandle: node {target.id!r} has inputs "
                    f"{', '.join(inputs) or 'none'}",
                )
                continue
            target_handle = next(iter(inputs))
        handle = inputs.get(target_handle)
        if handle is None:
            check.edge_error(
                edge.id,
                f"node {target.id!r} ({target.type.type}) has no input handle "
                f"{target_handle!r}; it has: {', '.join(inputs) or 'none'}",
            )
            continue
        link = (edge.source, source_handle, edge.target, target_handle)
        if link in seen_links:
            check.edge_error(edge.id, "the same connection is drawn twice")
            continue
        seen_links.add(link)
        if not handle.many:
            taken_by = single_inputs_taken.get((target.id, target_handle))
            if taken_by is not None:
                check.edge_error(
                    edge.id,
                    f"input {target_handle!r} of node {target.id!r} takes one edge and "
                    f"already has {taken_by!r}",
                )
                continue
            single_inputs_taken[(target.id, target_handle)] = edge.id
        out.append({**raw_edge, "sourceHandle": source_handle, "targetHandle": target_handle})
    return out


def _missing_node_message(check: GraphCheck, node_id: str, end: str) -> str:
    return f"edge {end} {node_id!r} is not a node of this graph"


def _check_required_inputs(check: GraphCheck, edges: list[dict[str, Any]]) -> None:
    connected = {(edge["target"], edge["targetHandle"]) for edge in edges}
    for node in check.nodes.values():
        for handle in node.type.inputs:
            if handle.required and (node.id, handle.name) not in connected:
                check.node_error(node.id, f"input {handle.name!r} must be connected")


def _check_cycles(check: GraphCheck, edges: list[dict[str, Any]]) -> None:
    children: dict[str, list[str]] = {}
    parents: dict[str, list[str]] = {}
    indegree: dict[str, int] = {node_id: 0 for node_id in check.nodes}
    for edge in edges:
        children.setdefault(edge["source"], []).append(edge["target"])
        parents.setdefault(edge["target"], []).append(edge["source"])
        indegree[edge["target"]] = indegree.get(edge["target"], 0) + 1
    ready = [node for node, degree in indegree.items() if degree == 0]
    while ready:
        node = ready.pop()
        for child in children.get(node, []):
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    # What Kahn's walk could not reach lies on a cycle or below one.
    stuck = {node for node, degree in indegree.items() if degree > 0}
    reported: set[str] = set()
    for start in sorted(stuck):
        cycle = _find_cycle(start, parents, stuck)
        if reported.intersection(cycle):
            continue
        reported.update(cycle)
        path = " → ".join([*cycle, cycle[0]])
        for node in cycle:
            check.node_error(node, f"node {node!r} is part of a cycle: {path}")


def _find_cycle(start: str, parents: dict[str, list[str]], stuck: set[str]) -> list[str]:
    """Walk upstream from `start`: every stuck node has a stuck parent, so a node repeats."""
    path: list[str] = []
    position: dict[str, int] = {}
    node = start
    while node not in position:
        position[node] = len(path)
        path.append(node)
        node = next(parent for parent in parents.get(node, []) if parent in stuck)
    cycle = path[position[node] :]
    cycle.reverse()  # walked against the edges; report in edge direction
    first = cycle.index(min(cycle))  # the same cycle always reads the same way
    return cycle[first:] + cycle[:first]
