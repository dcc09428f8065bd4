"""Example flows shipped in examples/*.json (the editor's export format)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings

from .models import Flow
from .services import do_create_flow

EXAMPLES_DIR = Path(settings.BASE_DIR) / "examples"


def load_examples() -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(EXAMPLES_DIR.glob("*.json"))]


def install_examples(*, user, team) -> list[Flow]:
    """Add the examples the team does not have yet (by name); returns those added."""
    added = []
    existing = set(Flow.objects.filter(team=team).values_list("name", flat=True))
    for example in load_examples():
        if example["name"] in existing:
            continue
        added.append(
            do_create_flow(
                user=user,
                team=team,
                name=example["name"],
                description=example.get("description", ""),
                graph=example["graph"],
            )
        )
    return added
