"""What changed between two graphs, in a shape the editor can draw on the canvas.

Nodes are matched by id. A node whose only change is its position is `moved`, not
`changed`: dragging things around is not an edit anyone needs to review. Edges are matched
by id too; an edge removed and another added between the very same handles counts as
neither (the editor gives a redrawn edge a new id).

Plain Python, no Django: unit-tested in milliseconds.
"""

from __future__ import annotations

from typing import Any, TypedDict


class NodeChange(TypedDict):
    id: str
    fields: list[str]
    before: dict[str, Any]
    after: dict[str, Any]


class EdgeChange(TypedDict):
    id: str
    fields: list[str]
    before: dict[str, Any]
    after: dict[str, Any]


class NodesDiff(TypedDict):
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[NodeChange]
    moved: list[str]
    unchanged: int


class EdgesDiff(TypedDict):
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[EdgeChange]
    unchanged: int


class GraphDiff(TypedDict):
    nodes: NodesDiff
    edges: EdgesDiff
    identical: bool


def _by_id(items: Any) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            found.setdefault(item["id"], item)
    return found


def _changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Dotted names of what differs: `type`, `data.config`, `data.label`, `position`..."""
    fields: list[str] = []
    for key in sorted(set(before) | set(after)):
        if key == "id":
            continue
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if key == "data" and isinstance(old, dict) and isinstance(new, dict):
            fields.extend(
                f"data.{inner}"
                for inner in sorted(set(old) | set(new))
                if old.get(inner) != new.get(inner)
            )
        else:
            fields.append(key)
    return fields


def _endpoints(edge: dict[str, Any]) -> tuple:
    return (
        edge.get("source"),
        edge.get("sourceHandle"),
        edge.get("target"),
        edge.get("targetHandle"),
    )


def diff_graphs(before: dict[str, Any], after: dict[str, Any]) -> GraphDiff:
    old_nodes, new_nodes = _by_id(before.get("nodes")), _by_id(after.get("nodes"))
    nodes: NodesDiff = {"added": [], "removed": [], "changed": [], "moved": [], "unchanged": 0}
    for node_id, node in new_nodes.items():
        if node_id not in old_nodes:
            nodes["added"].append(node)
    for node_id, node in old_nodes.items():
        if node_id not in new_nodes:
            nodes["removed"].append(node)
            continue
        fields = _changed_fields(node, new_nodes[node_id])
        if not fields:
            nodes["unchanged"] += 1
        elif fields == ["position"]:
            nodes["moved"].append(node_id)
        else:
            nodes["changed"].append(
                {"id": node_id, "fields": fields, "before": node, "after": new_nodes[node_id]}
            )

    old_edges, new_edges = _by_id(before.get("edges")), _by_id(after.get("edges"))
    edges: EdgesDiff = {"added": [], "removed": [], "changed": [], "unchanged": 0}
    added = [edge for edge_id, edge in new_edges.items() if edge_id not in old_edges]
    removed = [edge for edge_id, edge in old_edges.items() if edge_id not in new_edges]
    # The same connection under a new id is no change.
    removed_by_ends: dict[tuple, list[dict[str, Any]]] = {}
    for edge in removed:
        removed_by_ends.setdefault(_endpoints(edge), []).append(edge)
    for edge in added:
        twins = removed_by_ends.get(_endpoints(edge))
        if twins:
            twins.pop()
            edges["unchanged"] += 1
        else:
            edges["added"].append(edge)
    edges["removed"] = [edge for group in removed_by_ends.values() for edge in group]
    for edge_id, edge in old_edges.items():
        if edge_id in new_edges:
            fields = _changed_fields(edge, new_edges[edge_id])
            if fields:
                edges["changed"].append(
                    {"id": edge_id, "fields": fields, "before": edge, "after": new_edges[edge_id]}
                )
            else:
                edges["unchanged"] += 1
    identical = not (
        nodes["added"]
        or nodes["removed"]
        or nodes["changed"]
        or nodes["moved"]
        or edges["added"]
        or edges["removed"]
        or edges["changed"]
    )
    return {"nodes": nodes, "edges": edges, "identical": identical}
