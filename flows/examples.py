"""Example flows shipped in examples/*.json (the editor's export format).

Each file is `{"name", "description", "graph"}`, optionally with `"links"`: for a node id,
config fields to point at an object of the installing team by name, since ids differ
between installations:
    "links": {"search": {"knowledge_base": "Lumen & Loom help center"},
              "classify": {"flow": "Sentiment of one review"}}
A name the team does not have leaves the field empty (null): the node then says what to
choose. Files install in name order, so a flow another one links to comes first.
Model nodes whose `credential` is null get the demo credential when one is given.

An example may ship a recording, examples/recordings/<file name>: the model calls of a run
of it ({"inputs", "exchanges"}). It is installed with the flow as a finished run (trigger
"recording"), so that on a fresh install, with no model key, every example can run in
replay mode (`"replay": [that run]`).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from django.conf import settings

from .models import Flow
from .services import do_create_flow, do_update_flow

EXAMPLES_DIR = Path(settings.BASE_DIR) / "examples"
RECORDINGS_DIR = EXAMPLES_DIR / "recordings"
MODEL_NODE_TYPES = {"llm", "router", "agent"}


def load_examples() -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(EXAMPLES_DIR.glob("*.json"))]


def example_files() -> dict[str, Path]:
    """Each example's file, by the example's name."""
    return {json.loads(path.read_text())["name"]: path for path in sorted(EXAMPLES_DIR.glob("*.json"))}


def load_recording(name: str) -> dict[str, Any] | None:
    path = example_files().get(name)
    recording = RECORDINGS_DIR / path.name if path is not None else None
    return json.loads(recording.read_text()) if recording is not None and recording.exists() else None


def install_recording(flow: Flow, user) -> None:
    """The example's shipped recording as a run of the flow, unless it has one already."""
    from runs.recordings import do_install_recording, has_recording

    recording = load_recording(flow.name)
    if recording is not None and not has_recording(flow):
        do_install_recording(flow, user, recording)


def install_examples(*, user, team, credential_id: int | None = None, model: str | None = None) -> list[Flow]:
    """Add the examples the team does not have yet (by name); returns those added. Examples
    already there get the credential (and model) where theirs is still empty."""
    added = []
    existing = {flow.name: flow for flow in Flow.objects.filter(team=team)}
    for example in load_examples():
        flow = existing.get(example["name"])
        if flow is not None:
            if credential_id is not None:
                fill_credentials(flow, user=user, credential_id=credential_id, model=model)
            install_recording(flow, user)
            continue
        graph = resolve_links(copy.deepcopy(example["graph"]), example.get("links", {}), team)
        if credential_id is not None:
            graph = with_credential(graph, credential_id, model)
        flow = do_create_flow(
            user=user,
            team=team,
            name=example["name"],
            description=example.get("description", ""),
            graph=graph,
        )
        existing[flow.name] = flow
        added.append(flow)
        install_recording(flow, user)
    return added


def resolve_links(graph: dict[str, Any], links: dict[str, dict[str, str]], team) -> dict[str, Any]:
    from knowledge.models import KnowledgeBase

    models: dict[str, Any] = {"flow": Flow, "knowledge_base": KnowledgeBase}
    for node in graph.get("nodes", []):
        for field, name in links.get(node["id"], {}).items():
            model = models.get(field)
            found = model.objects.filter(team=team, name=name).order_by("id").first() if model else None
            node.setdefault("data", {}).setdefault("config", {})[field] = found.id if found else None
    return graph


def with_credential(graph: dict[str, Any], credential_id: int, model: str | None) -> dict[str, Any]:
    """The graph with the credential set on model nodes that have none (and the model
    name with it, when given)."""
    for node in graph.get("nodes", []):
        config = node.get("data", {}).get("config", {})
        if node.get("type") in MODEL_NODE_TYPES and config.get("credential") is None:
            config["credential"] = credential_id
            if model:
                config["model"] = model
    return graph


def fill_credentials(flow: Flow, *, user, credential_id: int, model: str | None) -> None:
    graph = with_credential(copy.deepcopy(flow.graph), credential_id, model)
    if graph != flow.graph:
        do_update_flow(flow, user=user, changes={"graph": graph}, based_on_revision=None)
