"""The layout docs/architecture.md describes, kept: no import cycles in the engine, and web
processes never load worker code (the layers themselves are import-linter's contracts in
pyproject.toml, run by make test)."""

from __future__ import annotations

import subprocess
import sys

import grimp

from tests.services import ROOT


def test_the_engine_has_no_import_cycles_not_even_through_imports_inside_functions():
    graph = grimp.build_graph("runs")
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.startswith("runs.") and graph.chain_exists(importer=imported, imported=module):
                chain = graph.find_shortest_chain(importer=imported, imported=module)
                cycles.append(" → ".join([module, *chain]))
    assert cycles == []


def test_a_web_process_does_not_import_worker_code():
    code = (
        "import os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tests.settings');"
        "import django; django.setup();"
        "import orchestrator_site.asgi, orchestrator_site.urls;"
        "from django.test import Client; Client().get('/api/health/');"
        "print(sorted(m for m in sys.modules if m.startswith('runs.worker')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
