"""The explorer's layering: one module draws with pyvis, only ropa/ui talks Streamlit, the map needs nothing."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROPA = Path(__file__).resolve().parents[1] / "ropa"


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


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
