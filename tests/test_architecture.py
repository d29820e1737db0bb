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


def test_only_render_imports_pyvis_and_at_most_one_module_the_neo4j_driver():
    assert who_imports("pyvis") == ["ropa/render.py"]
    assert len(who_imports("neo4j")) <= 1


def test_the_world_map_needs_only_the_standard_library():
    import sys
    assert imports(LIB / "worldmap.py") <= set(sys.stdlib_module_names) | {"__future__"}


def test_library_never_prints_or_exits():
    for p in modules():
        if p.name in ("cli.py", "__main__.py") or "ui" in p.parts:
            continue
        text = p.read_text(encoding="utf-8")
        assert not re.search(r"^\s*print\(", text, re.M), p
        assert "sys.exit(" not in text and "SystemExit" not in text, p


# Values that would change a query if they were pasted into its text: quotes, braces, backticks, a comment,
# a clause. Each carries MARK so that any query text holding one is found whatever was escaped around it.
MARK = "zq7mark"
HOSTILE = [f"{MARK}' OR 1=1 //", f'{MARK}"}}) DETACH DELETE n //', f"{MARK}`x` {{$p}}", f"{MARK} MATCH (n) SET n.x = 1"]


def _hostile_register(tmp_path):
    from conftest import register_bytes, row
    rows = []
    for i, v in enumerate(HOSTILE):
        activity = dict(controller=f"Acme {v}", activity=f"Act {v}", purpose=v, data_subjects=v,
                        data_categories=f"name;{v}", retention=v, security_measures=v, source=f"doc {v}")
        rows.append(row(**activity, recipient=f"Cloud {i} {v}", recipient_role="processor",
                        recipient_country="US", mechanism="scc_2021", evidence=v))
        rows.append(row(**activity, recipient=f"Sub {i} {v}", recipient_role="sub-processor",
                        engaged_by=f"Cloud {i} {v}", recipient_country="IN"))
    f = tmp_path / "hostile.csv"
    f.write_bytes(register_bytes(*rows))
    return f


def test_no_cypher_is_built_from_values(tmp_path, monkeypatch):
    """Follow the values: a register whose every text is hostile goes through import, the rule pack, the
    report, an edit and the export; no query text the store receives holds any of those values (they
    travel as parameters)."""
    import ladybug as lb

    from conftest import TODAY
    from ropa import revisions
    from ropa.backends.embedded import EmbeddedBackend
    from ropa.formats import read_path
    from ropa.report import build_report
    from ropa.rules import evaluate

    sent: list[str] = []
    real = lb.Connection.execute

    def spy(self, query, *args, **kwargs):
        sent.append(query if isinstance(query, str) else repr(query))
        return real(self, query, *args, **kwargs)

    monkeypatch.setattr(lb.Connection, "execute", spy)
    graph = read_path(str(_hostile_register(tmp_path)))
    names = set(graph.nodes["Organisation"]["name"])
    assert any(MARK in n for n in names)   # the values did reach the graph
    with EmbeddedBackend(None) as store:
        revisions.commit(store, graph, author=f"me {MARK}'", reason=f"why {MARK}'", kind="import")
        findings = evaluate(store, TODAY)
        assert any(MARK in f.subject for f in findings)       # and came back out of the store
        build_report(store, TODAY)
        store.run("MATCH (o:Organisation) WHERE o.name = $name RETURN o.id AS id", {"name": sorted(names)[0]})
        edited = store.export()
        revisions.commit(store, edited, author=f"me {MARK}'", reason=f"edit {MARK}", kind="edit")
        assert revisions.history(store)
    assert len(sent) > 50
    leaked = [q for q in sent if MARK in q]
    assert not leaked, leaked[:3]


def test_no_query_text_is_formatted_from_anything_but_schema_names():
    """A first wall beside the one above: f-strings that make Cypher format only schema names."""
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
