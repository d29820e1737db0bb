"""The explorer's layering: one module draws with pyvis, only ropa/ui talks Streamlit, the map needs nothing."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from test_architecture import imports  # one AST import scanner for every layering test

ROPA = Path(__file__).resolve().parents[1] / "ropa"

MODULES = sorted(ROPA.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROPA)))
def test_pyvis_and_streamlit_stay_in_their_place(path):
    found = imports(path)
    rel = path.relative_to(ROPA).as_posix()
    if "pyvis" in found:
        assert rel == "render.py"
    if "streamlit" in found:
        assert rel.startswith("ui/")


def test_the_world_map_needs_only_the_standard_library():
    assert imports(ROPA / "worldmap.py") <= set(sys.stdlib_module_names) | {"__future__"}
