"""The layout stays easy to explain: a pure library, thin CLI and UI."""
import ast
import os
import tempfile
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "ropa"


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def modules():
    return [p for p in LIB.rglob("*.py")]


def who_imports(package):
    return sorted(str(p.relative_to(ROOT)) for p in modules() if package in imports(p))


def test_only_the_ui_imports_streamlit():
    assert all(p.startswith("ropa/ui/") for p in who_imports("streamlit"))


def test_at_most_one_module_imports_pyvis_and_one_the_neo4j_driver():
    assert len(who_imports("pyvis")) <= 1
    assert len(who_imports("neo4j")) <= 1


def test_library_never_prints_or_exits():
    for p in modules():
        if p.name in ("cli.py", "__main__.py") or "ui" in p.parts:
            continue
        text = p.read_text(encoding="utf-8")
        assert not re.search(r"^\s*print\(", text, re.M), p
        assert "sys.exit(" not in text and "SystemExit" not in text, p


def test_no_cypher_is_built_from_values():
    """Cypher text may be formatted only from schema constants; values go as parameters."""
    allowed = {"label", "rel_type", "t.label", "t.type", "pairs", "props", "ret", "where", "option", "a", "b",
               "n", "ty", "c", "constraint_name(t.label)", "t.type.lower()", "src", "dst"}
    for p in modules():
        if p.name == "neo4j_export.py":
            continue  # writes a cypher-shell *script*: values are literals there, escaped by cypher_literal (tested)
        for m in re.finditer(r'f"((?:MATCH|CREATE|COPY|MERGE|UNWIND)[^"]*)"', p.read_text(encoding="utf-8")):
            text = m.group(1).replace("{{", "").replace("}}", "")
            names = set(re.findall(r"{([^}:!]+)", text))
            names = {n.split("[")[0].strip() for n in names}
            assert names <= allowed, f"{p.name}: {m.group(1)!r} formats {names - allowed}"


def test_tests_never_use_the_users_store():
    """The suite runs on a scratch store, whatever store the user has in ``.ropa/`` or ``$ROPA_STORE``."""
    from ropa.backends.choice import choose_store
    store = choose_store(backend="embedded").path.resolve()
    assert ROOT / ".ropa" not in store.parents
    assert os.environ.get("PYTEST_CURRENT_TEST") and str(store).startswith(tempfile.gettempdir())
