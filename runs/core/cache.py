"""The node output cache's key and saving, in plain Python.

A node with `settings.cache` on keeps the output of each successful execution for a while;
a later run of the same flow whose node would send the same request takes that output
instead of executing (runs.transitions.advance). "The same request" is everything the
node's code sees that could change what it does: its type and the type's version, its
config (templates unresolved: config plus inputs fixes what they resolve to), the inputs
gathered from upstream, and the state of what it names outside itself (a credential's
last change, so a rotated key misses; a knowledge base's documents; a tool flow's
revision). The database side is runs.cache.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import Any

CACHED = "cached"
# Usage counted for an executed node that a cached one reports as saved instead.
SAVED_KEYS = ("input_tokens", "output_tokens", "cost_usd")


def _plain(value: Any) -> Any:
    # Inputs of many-valued handles are Arrival dataclasses (flows.nodes.base).
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def cache_key(
    *,
    flow_id: int | None,
    node_type: str,
    version: int,
    config: Mapping[str, Any],
    inputs: Mapping[str, Any],
    references: Mapping[str, Any],
) -> str:
    """The digest naming one request of one node. Key order never matters (sorted keys);
    anything not JSON makes the node uncacheable for this run (TypeError)."""
    what = {
        "flow": flow_id,
        "type": node_type,
        "version": version,
        "config": config,
        "inputs": inputs,
        "references": references,
    }
    text = json.dumps(what, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()


def saved_usage(usage: Mapping[str, Any] | None) -> dict[str, Any]:
    """The usage a cached node run reports: what executing it would have cost, as saved."""
    saved = {
        key: value
        for key, value in (usage or {}).items()
        if key in SAVED_KEYS and isinstance(value, (int, float)) and not isinstance(value, bool)
    }
    return {"cached": True, "saved": saved}


def run_saving(saved: Mapping[str, Any]) -> dict[str, float]:
    """What a cache hit adds to its run's usage: `saved_<key>` numbers, never the cost
    itself (the run's totals count only what was spent)."""
    return {f"saved_{key}": value for key, value in saved.items() if isinstance(value, (int, float))}
