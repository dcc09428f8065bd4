"""Run events: their shapes (the websocket and SSE contract, docs/api-shapes.md) and their numbering.

Steps make them (runs.transitions) and hand them to runs.effects, which pushes them after
the commit that made them true.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Literal, TypedDict

from django.conf import settings

# --- Shapes -----------------------------------------------------------------------------


class NodeStatusEvent(TypedDict):
    type: Literal["node.status"]
    seq: int
    run_id: str
    node_id: str
    status: str
    attempts: int
    error: dict[str, Any] | None
    message: str
    started_at: str | None
    finished_at: str | None
    duration_ms: int | None
    # "pinned" or "reused" when the output was supplied, not computed (runs.core.supply);
    # "cached" when the node output cache answered (runs.cache).
    # "replayed" when computed from a recording's answers.
    source: str | None
    source_run: str | None


class NodeOutputEvent(TypedDict):
    type: Literal["node.output"]
    seq: int
    run_id: str
    node_id: str
    output: Any
    truncated: bool


class NodeDeltaEvent(TypedDict):
    type: Literal["node.delta"]
    seq: int
    run_id: str
    node_id: str
    text: str


class RunStatusEvent(TypedDict):
    type: Literal["run.status"]
    seq: int
    run_id: str
    status: str
    error: dict[str, Any] | None
    outputs: Any
    outputs_truncated: bool
    usage: dict[str, Any]
    started_at: str | None
    finished_at: str | None
    duration_ms: int | None


def iso(value) -> str | None:
    return value.isoformat() if value else None


def node_status_event(node) -> NodeStatusEvent:
    return {
        "type": "node.status",
        "seq": 0,
        "run_id": str(node.run_id),
        "node_id": node.node_id,
        "status": node.status,
        "attempts": node.attempts,
        "error": node.error,
        "message": node.message,
        "started_at": iso(node.started_at),
        "finished_at": iso(node.finished_at),
        "duration_ms": node.duration_ms,
        "source": node.source,
        "source_run": str(node.source_run_id) if node.source_run_id is not None else None,
    }


def output_preview(value: Any) -> tuple[Any, bool]:
    """The value, or a string preview of it when it is larger than events may carry."""
    if value is None or isinstance(value, (bool, int, float)):
        return value, False
    text = json.dumps(value, ensure_ascii=False, default=str)
    limit = settings.BATON_EVENT_OUTPUT_MAX_BYTES
    if len(text) <= limit:
        return value, False
    return text[:limit], True


def node_output_event(node) -> NodeOutputEvent:
    output, truncated = output_preview(node.output)
    return {
        "type": "node.output",
        "seq": 0,
        "run_id": str(node.run_id),
        "node_id": node.node_id,
        "output": output,
        "truncated": truncated,
    }


def node_delta_event(run_id: str, node_id: str, text: str) -> NodeDeltaEvent:
    return {"type": "node.delta", "seq": 0, "run_id": run_id, "node_id": node_id, "text": text}


def run_status_event(run) -> RunStatusEvent:
    outputs, truncated = output_preview(run.outputs)
    return {
        "type": "run.status",
        "seq": 0,
        "run_id": str(run.id),
        "status": run.status,
        "error": run.error,
        "outputs": outputs,
        "outputs_truncated": truncated,
        "usage": run.usage,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "duration_ms": run.duration_ms,
    }


def number_events(events: Iterable[dict[str, Any]], last_seq: int) -> tuple[list[dict], int]:
    numbered = []
    for event in events:
        last_seq += 1
        numbered.append({**event, "seq": last_seq})
    return numbered, last_seq
