"""`retrieve`: search a knowledge base of the team (knowledge app, through the context)."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, StrictInt

from .base import Handle, NodeConfig, NodeContext, NodeType


def as_query(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("query", "question", "text", "input"):
            if isinstance(value.get(key), str):
                return value[key]
    return "" if value is None else json.dumps(value, ensure_ascii=False, default=str)


class RetrieveNode(NodeType):
    type = "retrieve"
    label = "Retrieve"
    category = "AI"
    description = (
        "Finds the passages of a knowledge base that best match the incoming query; out: "
        "[{text, score, document, chunk}], best first."
    )
    execution = "queued"
    inputs = (Handle("in", label="Query", required=True),)

    class Config(NodeConfig):
        knowledge_base: StrictInt | None = Field(
            None, description="The team's knowledge base", json_schema_extra={"x-baton-picker": "knowledge_base"}
        )
        top_k: int = Field(4, ge=1, le=50, description="Passages to return")
        mode: Literal["lexical", "vector", "hybrid"] = Field(
            "hybrid", description="hybrid: both, fused by rank (lexical alone when the base has no embeddings)"
        )

    def run(self, ctx: NodeContext, inputs: dict[str, Any], config: Config) -> list[dict[str, Any]]:
        query = as_query(inputs.get("in")).strip()
        if not query:
            return []
        return ctx.search_knowledge(config.knowledge_base, query, config.top_k, config.mode)


NODE_TYPES: list[type[NodeType]] = [RetrieveNode]
