"""Query: a read-only Cypher console, with the rule files as examples; results as a table and a graph."""
from __future__ import annotations

import functools

import streamlit as st

from .. import views
from ..browse import PAGE_SIZE
from ..errors import ReadOnlyError
from ..render import network_html
from ..rules import load_rules
from . import state
from .common import as_of_picker, download, graph_frame, guarded, plain, store_caption, table_height

HEIGHT = 480
EXAMPLES = {
    "Organisations and where they process data":
        "MATCH (o:Organisation)-[:PROCESSES_IN]->(k:Country)\nRETURN o, k\nORDER BY o.name\nLIMIT 50",
    "Activities of one controller and their recipients":
        "MATCH (c:Organisation)-[:CONTROLS]->(a:Activity)-[:DISCLOSES_TO]->(r:Organisation)\n"
        "RETURN c, a, r\nLIMIT 50",
    "Sub-processor chains":
        "MATCH p = (a:Activity)-[:DISCLOSES_TO]->(:Organisation)-[:ENGAGES*1..4]->(:Organisation)\n"
        "RETURN nodes(p) AS chain\nLIMIT 25",
}


def _examples() -> dict[str, str]:
    out = dict(EXAMPLES)
    for r in load_rules():
        out[f"Rule {r.id}: {r.title}"] = r.query
    return out


def _load_example() -> None:
    st.session_state["q_text"] = _examples()[st.session_state["q_example"]]


@guarded
def page() -> None:
    store_caption()
    as_of = as_of_picker()
    st.title("Query")
    st.caption("Read-only Cypher over the stored RoPA and the legal reference data (schema in docs/schema.md). "
               "`$asOf` is the evaluation date from the sidebar. Anything that would write is refused.")
    examples = _examples()
    st.selectbox("Start from an example (the rules of the pack are the queries in queries/)", list(examples),
                 index=None, key="q_example", on_change=_load_example, placeholder="choose an example…")
    st.session_state.setdefault("q_text", EXAMPLES["Organisations and where they process data"])
    text = st.text_area("Cypher", key="q_text", height=220)
    if not st.button("Run", type="primary", key="q_run", icon=":material/play_arrow:") \
            and "q_last" not in st.session_state:
        return
    if st.session_state.get("q_run"):
        st.session_state["q_last"] = text
    text = st.session_state["q_last"]
    version = state.version()
    try:
        rows = state.query(version, text, as_of)
    except ReadOnlyError as exc:
        st.error(plain(f"Refused: {exc}.") + " This console only reads; change the RoPA through the Import "
                 "page or the `ropa import` command.")
        return
    st.caption(f"{len(rows)} row(s)")
    if not rows:
        st.info("The query returned no rows.")
        return
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    if st.session_state.get("q_page", 1) > pages:
        st.session_state["q_page"] = 1
    left, right = st.columns([1, 5])
    page_no = left.number_input("Page", min_value=1, max_value=pages, value=1, step=1, key="q_page",
                                disabled=pages == 1)
    start = (int(page_no) - 1) * PAGE_SIZE
    part = rows[start:start + PAGE_SIZE]
    right.caption(f"Rows {start + 1}–{start + len(part)} of {len(rows)} · page {page_no} of {pages}")
    st.dataframe(views.result_frame(part), hide_index=True, width="stretch", key="q_table", height=table_height(len(part)))
    download(st, "Download the result (CSV)", functools.partial(_csv, rows), "query.csv", "text/csv", "q_download",
             rows=len(rows), icon=":material/download:")
    keys = views.result_nodes(rows)
    if len(keys) > views.NODE_CAP:
        st.warning(plain(f"The result holds {len(keys)} nodes, more than the {views.NODE_CAP} drawn at once. "
                         "Add a LIMIT or a WHERE to the query to see them as a graph."))
        return
    acts = [k.split(":", 1)[1] for k in keys if k.startswith("Activity:")]
    orgs = [k.split(":", 1)[1] for k in keys if k.startswith("Organisation:")]
    full = state.network(version, as_of, acts, orgs) if acts or orgs else None
    present = [k for k in keys if full is not None and k in full]
    if not present:
        st.info("No node of the RoPA in the result to draw: return nodes (RETURN o) or paths "
                "(RETURN nodes(p)) to see them as a graph.")
        return
    sub = full.subgraph(present).copy()
    limited, note = views.limit(sub)
    if note:
        (st.warning if limited is None else st.info)(plain(note))
    if limited is not None:
        st.caption(f"The {limited.number_of_nodes()} RoPA node(s) of the result and the relationships between them.")
        graph_frame(network_html(limited, height=HEIGHT), HEIGHT)


def _csv(rows: list[dict]) -> bytes:
    import io
    from ..tables import write_csv
    buf = io.BytesIO()
    write_csv(views.result_frame(rows), buf)
    return buf.getvalue()
