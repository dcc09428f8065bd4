"""The node-type catalog: an explicit list per family, plus plugins named in settings.

Django is imported inside the functions: `flows.nodes.base` (which the plain-Python run
engine uses) must stay importable without it.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import NodeType

FAMILIES = [
    "flows.nodes.core",
    "flows.nodes.ai",
    "flows.nodes.retrieval",
    "flows.nodes.code",
    "flows.nodes.subflows",
    "flows.nodes.approval",
]


@lru_cache(maxsize=1)
def catalog() -> dict[str, NodeType]:
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    types: dict[str, NodeType] = {}
    for module_path in [*FAMILIES, *settings.BATON_NODE_PLUGINS]:
        try:
            module = importlib.import_module(module_path)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"cannot import node types from {module_path}: {exc}"
            ) from exc
        for cls in module.NODE_TYPES:
            if cls.type in types:
                raise ImproperlyConfigured(f"node type {cls.type!r} is defined twice")
            types[cls.type] = cls()
    return types


def get_node_type(type_name: str) -> NodeType | None:
    return catalog().get(type_name)


@lru_cache(maxsize=1)
def node_types_waiting_for_people() -> list[str]:
    """Types whose waiting only a person ends (an approval): a run waiting on them will not
    move by itself."""
    return [name for name, node_type in catalog().items() if node_type.waits_for_people]


@lru_cache(maxsize=1)
def described_catalog() -> list[dict]:
    return [node_type.describe() for node_type in catalog().values()]
