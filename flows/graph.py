"""The graph format (React Flow's nodes and edges) and its validation.

`check_graph` is the one check, used on save, on validation and before every run. It tells
two kinds of error apart:
- `shape`: the value is not a graph at all (not an object, items without ids, duplicate
  ids, over the size limits, templates or expressions refused as hostile). Such a value
  is refused wherever it is sent.
- `problems`: a drawing that is a graph but not yet runnable (missing config, unknown
  types, unconnected inputs, bad handles, cycles). A draft with problems is saved; runs
  and publishing refuse it.
Each problem is reported once, on the node or edge it concerns: a node whose config is
bad is still a node of the graph, and an edge into it still connects its input.
The check returns the graph in normal form (edge handles filled in where a node has only
one) with every node and edge drawn.
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
class DrawnNode:
    """A node as far as it could be understood: its type (None when unknown) and, when
    they parsed, its config and settings. Edges are checked against what is known."""

    id: str
    type: NodeType | None
    config: Any = None
    settings: NodeSettings | None = None

    def outputs(self) -> list[str] | None:
        """Its output handles, or None when they cannot be known (an unknown type, or
        outputs that depend on a config that did not parse)."""
        if self.type is None:
            return None
        if self.config is None and self.type.dynamic_outputs is not None:
            return None
        return self.type.output_names(self.config)


@dataclass
class GraphCheck:
    shape: list[GraphError] = field(default_factory=list)
    problems: list[GraphError] = field(default_factory=list)
    graph: dict[str, Any] = field(default_factory=lambda: dict(EMPTY_GRAPH))
    # Nodes whose type, config and settings all passed: what a run can be planned from.
    nodes: dict[str, CheckedNode] = field(default_factory=dict)
    drawn: dict[str, DrawnNode] = field(default_factory=dict)

    @property
    def errors(self) -> list[GraphError]:
        return [*self.shape, *self.problems]

    @property
    def valid(self) -> bool:
        return not self.shape and not self.problems

    @property
    def is_graph(self) -> bool:
        """Whether the value is a graph at all (it may still have problems): a draft."""
        return not self.shape

    def node_error(self, node_id: str, message: str) -> None:
        self.problems.append({"node_id": node_id, "message": message})

    def edge_error(self, edge_id: str, message: str) -> None:
        self.problems.append({"edge_id": edge_id, "message": message})


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


def _refused(exc: ValidationError) -> bool:
    return any(isinstance(e.get("ctx", {}).get("error"), templating.CheckRefused) for e in exc.errors())


def graph_digest(graph: Any) -> str:
    """What a graph is, in 64 hex digits: equal graphs (whatever their key order) have the
    same digest."""
    return hashlib.sha256(json.dumps(graph, sort_keys=True, default=str).encode()).hexdigest()


def check_graph(raw: Any) -> GraphCheck:
    check = GraphCheck()
    if not isinstance(raw, dict):
        check.shape.append({"message": "the graph must be an object with 'nodes' and 'edges'"})
        return check
    raw_nodes = raw.get("nodes", [])
    raw_edges = raw.get("edges", [])
    if not isinstance(raw_nodes, list) or not isinstance(raw_edges, list):
        check.shape.append({"message": "'nodes' and 'edges' must be lists"})
        return check
    if len(raw_nodes) > settings.BATON_MAX_NODES:
        check.shape.append(
            {"message": f"the graph has {len(raw_nodes)} nodes; the limit is {settings.BATON_MAX_NODES}"}
        )
        return check
    if len(raw_edges) > settings.BATON_MAX_EDGES:
        check.shape.append(
            {"message": f"the graph has {len(raw_edges)} edges; the limit is {settings.BATON_MAX_EDGES}"}
        )
        return check

    # Each template is bounded; together, a graph's are given a time budget too.
    with templating.check_budget():
        nodes_out = _check_nodes(check, raw_nodes)
    edges_out, loose = _check_edges(check, raw_edges)
    _check_required_inputs(check, edges_out, loose)
    _check_cycles(check, edges_out)
    check.graph = {**raw, "nodes": nodes_out, "edges": edges_out}
    return check


def _parse_item(check: GraphCheck, model, raw: Any, label: str) -> Any:
    """One node or edge parsed, or None with what makes it no node or edge (a shape
    error): on the item when it has a usable id, else by its place in the list."""
    if not isinstance(raw, dict):
        check.shape.append({"message": f"{label} must be an object"})
        return None
    item_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    key = "node_id" if model is _Node else "edge_id"
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for message in _pydantic_messages(exc):
            if item_id:
                check.shape.append({key: item_id, "message": message})  # type: ignore[misc]
            else:
                check.shape.append({"message": f"{label}: {message}"})
        return None


def _check_nodes(check: GraphCheck, raw_nodes: list) -> list[dict[str, Any]]:
    out = []
    for index, raw_node in enumerate(raw_nodes):
        node = _parse_item(check, _Node, raw_node, f"nodes[{index}]")
        if node is None:
            continue
        if node.id in check.drawn:
            check.shape.append({"node_id": node.id, "message": f"node id {node.id!r} is used more than once"})
            continue
        out.append(raw_node)
        node_type = get_node_type(node.type)
        drawn = check.drawn[node.id] = DrawnNode(node.id, node_type)
        if node_type is None:
            check.node_error(node.id, f"unknown node type {node.type!r}")
            continue
        try:
            drawn.config = node_type.parse_config(node.data.config)
        except ValidationError as exc:
            # A refused template or expression is hostile input: no draft is kept of it.
            report = check.shape if _refused(exc) else check.problems
            report.extend({"node_id": node.id, "message": m} for m in _pydantic_messages(exc, "config"))
        try:
            drawn.settings = NodeSettings.model_validate(node.data.settings)
        except ValidationError as exc:
            for message in _pydantic_messages(exc, "settings"):
                check.node_error(node.id, message)
        if drawn.config is not None and drawn.settings is not None:
            if drawn.settings.cache is not None and not (node_type.executable and node_type.cacheable):
                check.node_error(
                    node.id,
                    f"settings.cache: a {node_type.type} node cannot be cached: it waits, asks a "
                    "person, starts child runs or reads or writes the run itself, so the same "
                    "inputs do not stand for the same work",
                )
            if node.data.pinned is not None:
                _check_pin(check, node.id, node_type, drawn.config, node.data.pinned)
            check.nodes[node.id] = CheckedNode(node.id, node_type, drawn.config, drawn.settings, raw_node)
    return out


def _check_pin(check: GraphCheck, node_id: str, node_type: NodeType, config: Any, pin: _Pin) -> None:
    if not node_type.executable or not node_type.output_names(config):
        # A node without outputs (`output`) has nothing to hand on: running it is its point.
        check.node_error(node_id, f"pinned: a {node_type.type} node has no output to pin")
        return
    size = len(json.dumps(pin.output, ensure_ascii=False))
    if size > settings.BATON_NODE_OUTPUT_MAX_BYTES:
        check.node_error(
            node_id,
            f"pinned: the output is {size} bytes; the limit is {settings.BATON_NODE_OUTPUT_MAX_BYTES}",
        )


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


def _check_edges(check: GraphCheck, raw_edges: list) -> tuple[list[dict[str, Any]], set[str]]:
    """Every edge drawn (handles filled in where known), and the nodes that an edge with
    a wrong target handle ends in: their inputs are not called unconnected besides."""
    out: list[dict[str, Any]] = []
    loose: set[str] = set()
    seen_ids: set[str] = set()
    seen_links: set[tuple] = set()
    single_inputs_taken: dict[tuple[str, str], str] = {}
    for index, raw_edge in enumerate(raw_edges):
        edge = _parse_item(check, _Edge, raw_edge, f"edges[{index}]")
        if edge is None:
            continue
        if edge.id in seen_ids:
            check.shape.append({"edge_id": edge.id, "message": f"edge id {edge.id!r} is used more than once"})
            continue
        seen_ids.add(edge.id)
        source_handle, target_handle = _check_edge(check, edge, loose)
        normal = dict(raw_edge)  # as drawn, with the handles filled in that are known
        if source_handle is not None:
            normal["sourceHandle"] = source_handle
        if target_handle is not None:
            normal["targetHandle"] = target_handle
        out.append(normal)
        if source_handle is None or target_handle is None:
            continue
        link = (edge.source, source_handle, edge.target, target_handle)
        if link in seen_links:
            check.edge_error(edge.id, "the same connection is drawn twice")
            continue
        seen_links.add(link)
        target = check.drawn[edge.target]
        handle = next((h for h in target.type.inputs if h.name == target_handle), None) if target.type else None
        if handle is not None and not handle.many:
            taken_by = single_inputs_taken.get((target.id, target_handle))
            if taken_by is not None:
                check.edge_error(
                    edge.id,
                    f"input {target_handle!r} of node {target.id!r} takes one edge and "
                    f"already has {taken_by!r}",
                )
                continue
            single_inputs_taken[(target.id, target_handle)] = edge.id
    return out, loose


def _check_edge(check: GraphCheck, edge: _Edge, loose: set[str]) -> tuple[str | None, str | None]:
    """The edge's handles when both ends and handles are known and right (else None), its problems
    reported. Only what is wrong with the edge itself is reported here: an end whose type
    or config is unknown has its own problem, and its handles go unchecked."""
    source = check.drawn.get(edge.source)
    target = check.drawn.get(edge.target)
    problems = []
    if source is None:
        problems.append(f"edge source {edge.source!r} is not a node of this graph")
    if target is None:
        problems.append(f"edge target {edge.target!r} is not a node of this graph")
    if source is None or target is None:
        for problem in problems:
            check.edge_error(edge.id, problem)
        return None, None
    if edge.source == edge.target:
        check.edge_error(edge.id, f"edge connects node {edge.source!r} to itself")
        return None, None
    return _source_handle(check, edge, source), _target_handle(check, edge, target, loose)


def _source_handle(check: GraphCheck, edge: _Edge, source: DrawnNode) -> str | None:
    handle = edge.sourceHandle
    outputs = source.outputs()
    if handle == ERROR_HANDLE and source.type is not None and source.type.executable:
        if source.settings is not None and source.settings.on_error != "route":
            check.edge_error(
                edge.id,
                f"edge leaves the error handle of node {source.id!r}, whose on_error is "
                f"{source.settings.on_error!r}; set it to 'route'",
            )
            return None
        return handle
    if outputs is None:
        return handle
    if handle is None:
        if len(outputs) == 1:
            return outputs[0]
        check.edge_error(
            edge.id,
            f"edge must name a sourceHandle: node {source.id!r} has outputs "
            f"{', '.join(outputs) or 'none'}",
        )
        return None
    if handle not in outputs:
        assert source.type is not None  # outputs() knows them
        check.edge_error(
            edge.id,
            f"node {source.id!r} ({source.type.type}) has no output handle "
            f"{handle!r}; it has: {', '.join(outputs) or 'none'}",
        )
        return None
    return handle


def _target_handle(check: GraphCheck, edge: _Edge, target: DrawnNode, loose: set[str]) -> str | None:
    handle = edge.targetHandle
    if target.type is None:
        return handle
    inputs = [h.name for h in target.type.inputs]
    if handle is None and len(inputs) == 1:
        return inputs[0]
    if handle is None:
        message = f"edge must name a targetHandle: node {target.id!r} has inputs {', '.join(inputs) or 'none'}"
    elif handle not in inputs:
        message = (
            f"node {target.id!r} ({target.type.type}) has no input handle {handle!r}; "
            f"it has: {', '.join(inputs) or 'none'}"
        )
    else:
        return handle
    loose.add(target.id)
    check.edge_error(edge.id, message)
    return None


def _check_required_inputs(check: GraphCheck, edges: list[dict[str, Any]], loose: set[str]) -> None:
    connected = {(edge["target"], edge["targetHandle"]) for edge in edges}
    for node in check.drawn.values():
        if node.type is None or node.id in loose:
            continue
        for handle in node.type.inputs:
            if handle.required and (node.id, handle.name) not in connected:
                check.node_error(node.id, f"input {handle.name!r} must be connected")


def _check_cycles(check: GraphCheck, edges: list[dict[str, Any]]) -> None:
    """One problem per cycle, on the edge that closes it (removing it breaks the cycle),
    naming the whole cycle."""
    children: dict[str, list[str]] = {}
    parents: dict[str, list[str]] = {}
    edge_ids: dict[tuple[str, str], str] = {}
    indegree: dict[str, int] = {node_id: 0 for node_id in check.drawn}
    for edge in edges:
        source, target = edge["source"], edge["target"]
        if source == target or source not in indegree or target not in indegree:
            continue  # reported as the edge's own problem
        children.setdefault(source, []).append(target)
        parents.setdefault(target, []).append(source)
        edge_ids.setdefault((source, target), edge["id"])
        indegree[target] += 1
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
        check.edge_error(
            edge_ids[(cycle[-1], cycle[0])],
            f"a cycle through {path}: a flow runs each node once; remove one edge of the cycle",
        )


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
