"""Import: read files, show a preview and every problem, and only then write, all or nothing."""
from __future__ import annotations

import hashlib
import io

import pandas as pd
import streamlit as st

from ..errors import InputError, Problem, RopaError
from ..formats import read_file
from ..model import RopaGraph
from .. import revisions
from . import state
from .common import guarded, plain, store_caption

TYPES = ["csv", "xlsx", "zip", "graphml", "xml", "json"]
MODES = {"merge": "Add to what the store holds (a recipient, activity… with the same name is updated)",
         "replace": "Replace everything the store holds"}


def _read(name: str, data: bytes) -> tuple[RopaGraph | None, list[Problem]]:
    """The graph of one file, or None with its problems (errors and warnings); read once per upload
    (kept, not copied on every rerun: a big register's graph is large)."""
    def read():
        with st.status(f"Reading {name} ({len(data) / 1e6:.1f} MB)…", expanded=False) as status:
            try:
                g = read_file(io.BytesIO(data), name)
            except InputError as exc:
                status.update(label=f"{name}: {len(exc.problems)} problem(s)", state="error")
                return None, exc.problems
            status.update(label=f"Read {name}: {len(g.nodes['Activity'])} activities", state="complete")
            return g, list(g.warnings)
    return state.memo("upload", (name, hashlib.sha256(data).hexdigest()), read, keep=8)


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """Problems as a table a user can sort: file, row, column, value, problem, severity."""
    return pd.DataFrame([{"severity": p.severity, "file": p.file, "row": p.row, "column": p.column,
                          "value": None if p.value is None else str(p.value), "problem": p.message}
                         for p in problems], columns=["severity", "file", "row", "column", "value", "problem"])


def _preview(g: RopaGraph) -> None:
    counts = g.counts()
    hops = counts["DISCLOSES_TO"] + counts["ENGAGES"]
    cols = st.columns(5)
    for col, (label, n) in zip(cols, [("Activities", counts["Activity"]), ("Organisations", counts["Organisation"]),
                                      ("Data flows (hops)", hops), ("Data categories", counts["DataCategory"]),
                                      ("Data subjects", counts["DataSubject"])]):
        col.metric(label, n)
    with st.expander("Preview: processing activities", expanded=True):
        st.dataframe(g.nodes["Activity"].drop(columns=["id"]).head(200), hide_index=True, width="stretch")
    with st.expander("Preview: recipients and data flows"):
        flows = pd.concat([g.rels["DISCLOSES_TO"], g.rels["ENGAGES"]], ignore_index=True)
        keep = ["src", "dst", "role", "mechanism", "mechanism_raw", "mechanism_date", "tia", "dpa", "evidence", "row"]
        st.dataframe(flows[keep].rename(columns={"src": "from", "dst": "to"}).head(500), hide_index=True,
                     width="stretch")


@guarded
def page() -> None:
    store_caption()
    st.title("Import")
    st.caption("A register (CSV or XLSX, the template in data/register-template.csv; ICO and CNIL headings are "
               "recognised), a graph bundle (zip of nodes.csv + relationships.csv), GraphML or node-link JSON. "
               "Nothing is written until you press Import, and then it lands whole or not at all.")
    uploads = st.file_uploader("Files to import", type=TYPES, accept_multiple_files=True, key="uploads")
    if not uploads:
        st.info("Choose one or more files. You will see what they hold and every problem before anything "
                "is written.")
        _start_over()
        return
    graph, problems = RopaGraph.empty(), []
    failed = []
    for up in uploads:
        g, probs = _read(up.name, up.getvalue())
        problems += probs
        if g is None:
            failed.append(up.name)
        else:
            graph = graph.merge(g)
    errors = [p for p in problems if p.severity == "error"]
    if failed:
        st.error(plain(f"Nothing can be imported: {len(errors) or len(problems)} problem(s) in "
                       f"{', '.join(failed)}. Fix them and upload the file(s) again; the store is unchanged."))
    if problems:
        st.subheader(f"Problems ({len(errors)} error(s), {len(problems) - len(errors)} warning(s))")
        st.dataframe(problems_frame(problems), hide_index=True, width="stretch", key="problems_table")
        if not failed:
            st.caption("Warnings do not stop the import: the values are kept as written and reported by the rules "
                       "(e.g. unknown_country).")
    if failed:
        return
    st.subheader("What the files hold")
    _preview(graph)
    mode = st.radio("How", list(MODES), format_func=MODES.get, key="import_mode", horizontal=False)
    review = st.checkbox("Needs review (e.g. a generated register)", key="import_needs_review",
                         help="Its new activities and recipients stay apart on the Record page and out of the "
                              "Art. 30 record, the report and the findings until someone accepts them.")
    if st.button("Import", type="primary", key="do_import", icon=":material/upload:"):
        _write(graph, mode, "import of " + ", ".join(up.name for up in uploads) + f" ({mode}, explorer)",
               kind="draft" if review else "import")


def _write(graph: RopaGraph, mode: str, origin: str, kind: str = "import") -> None:
    ws, _ = state.workspace()
    bar = st.progress(0.0, text="Opening the store…")

    def progress(fraction: float, what: str) -> None:
        bar.progress(min(1.0, max(0.0, fraction)), text=f"Importing: {what}")

    try:
        with ws.writing() as store:
            before = store.export()
            revisions.commit(store, graph if mode == "replace" else before.merge(graph),
                             author=st.session_state.get("author") or revisions.default_author(), reason=origin,
                             kind=kind, progress=progress, origin=origin, before=before, page="Import page")
    except RopaError as exc:
        bar.empty()
        st.error(plain(f"Nothing was imported: {exc}. The store is unchanged."))
        return
    bar.progress(1.0, text="Done")
    st.success(plain(f"Imported {len(graph.nodes['Activity'])} activities and "
                     f"{len(graph.nodes['Organisation'])} organisations into {ws.describe()}. "
                     + ("Its new activities and recipients await review on the Record page; until accepted they "
                        "are left out of the record, the report and the findings." if kind == "draft" else
                        "Every page now shows the new data.")))


def _start_over() -> None:
    with st.expander("Start over with the bundled sample data"):
        st.caption("Replaces everything in the store with the register built from five real privacy notices.")
        if st.button("Replace the store with the sample data", key="reset_sample"):
            from ..samples import sample_graph
            _write(sample_graph(), "replace", "the bundled sample data (replace, explorer)")
