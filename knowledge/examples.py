"""The knowledge base the example flows search: a fictional shop's help pages, shipped in
examples/knowledge/<folder>/*.md."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from .models import KnowledgeBase
from .services import do_add_document, do_create_knowledge_base

EXAMPLE_BASES = {
    "Lumen & Loom help center": (
        "lumen-and-loom",
        "The help pages of Lumen & Loom, a fictional home-goods shop (used by the customer service example).",
    ),
}


def install_example_knowledge(*, user, team) -> list[KnowledgeBase]:
    """Create the example knowledge bases the team does not have yet (by name)."""
    added = []
    root = Path(settings.BASE_DIR) / "examples" / "knowledge"
    for name, (folder, description) in EXAMPLE_BASES.items():
        if KnowledgeBase.objects.filter(team=team, name=name).exists():
            continue
        knowledge_base = do_create_knowledge_base(team=team, user=user, name=name, description=description)
        for path in sorted((root / folder).glob("*.md")):
            do_add_document(knowledge_base, user=user, name=path.name, content_type="text/markdown",
                            text=path.read_text(encoding="utf-8"))
        added.append(knowledge_base)
    return added
