"""Import page: draft a RoPA from a privacy notice, review it, import it.

Paste or upload a notice; the page shows the draft recipients (edit a cell or
untick *keep* to reject a row), the notice with every claim's sentence
highlighted, and imports the reviewed rows into the store through the
register format, so each imported row keeps its document and quote.
"""
from __future__ import annotations

import html

import pandas as pd
import streamlit as st

# Absolute imports: streamlit_app.py runs this file as a page script.
from ropa.errors import RopaError
from ropa.extract import apply_review, extract, recipient_rows, register_rows
from ropa.formats.register import rows_to_graph
from ropa.ui import state

EDITABLE = {"name": "recipient", "country": "recipient_country", "mechanism": "mechanism", "role": "recipient_role"}
_ROLE = {"independent_controller": "controller", "authority": "controller"}


@st.cache_data(show_spinner="Reading the notice…", max_entries=8)
def _draft(data: bytes, name: str):
    return extract(data, name)


def highlighted(text: str, spans: list[tuple[int, int, str]]) -> str:
    """``text`` as HTML, every character escaped, each (start, end, label) span in a ``<mark>``."""
    out, pos = [], 0
    for start, end, label in sorted(spans):
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f'<mark title="{html.escape(label, quote=True)}">{html.escape(text[start:end])}</mark>')
        pos = end
    out.append(html.escape(text[pos:]))
    return '<div style="white-space: pre-wrap; font-size: 0.85rem">' + "".join(out) + "</div>"


def _decisions(table: pd.DataFrame, original: list[str]) -> dict[str, dict | None]:
    decisions: dict[str, dict | None] = {}
    for drafted, (_, row) in zip(original, table.iterrows()):
        if not bool(row["keep"]):
            decisions[drafted] = None
            continue
        decisions[drafted] = {col: ("" if pd.isna(row[field]) else str(row[field]).strip())
                              for field, col in EDITABLE.items()}
        role = decisions[drafted]["recipient_role"]
        decisions[drafted]["recipient_role"] = _ROLE.get(role, role)
        if decisions[drafted]["mechanism"] == "none":
            decisions[drafted]["mechanism"] = ""
    return decisions


def page() -> None:
    """Render the page."""
    st.title("Draft a RoPA from a privacy notice")
    st.caption("Text, Markdown, HTML or PDF. Read on this machine; nothing is sent anywhere.")
    upload = st.file_uploader("Upload a notice or sub-processor list", type=["txt", "md", "html", "htm", "pdf"])
    pasted = st.text_area("…or paste its text", height=160, key="notice_text")
    if upload is not None:
        data, name = upload.getvalue(), upload.name
    elif pasted.strip():
        data, name = pasted.encode("utf-8"), "pasted-notice.txt"
    else:
        st.info("Paste or upload a notice to see the draft.")
        return
    try:
        draft = _draft(data, name)
    except RopaError as exc:
        st.error(str(exc))
        return
    ctl = draft.controller
    st.write(f"**Controller:** {ctl.get('name') or 'not found'} ({ctl.get('country') or 'country not stated'}) · "
             f"**language:** {draft.language} · **{len(draft.recipients)}** recipients, "
             f"**{len(draft.activities)}** activities")

    rows = recipient_rows(draft)
    original = [r["name"] for r in rows]
    table = pd.DataFrame([{"keep": True, **{k: r[k] for k in ("name", "country", "mechanism", "role")},
                           "entity": r["entity"], "source of country": r["country_source"],
                           "mechanism from": r["mechanism_source"], "evidence": r["evidence"]} for r in rows])
    st.subheader("Recipients")
    if table.empty:
        st.warning("No recipient found. The activities below can still be imported.")
        edited = table
    else:
        edited = st.data_editor(table, hide_index=True, key=f"review:{name}:{len(data)}",
                                disabled=["entity", "source of country", "mechanism from", "evidence"])
    if draft.ignored:
        with st.expander(f"Named but not drafted ({len(draft.ignored)})"):
            st.dataframe(pd.DataFrame([{"name": m.name, "why": m.reason, "evidence": draft.layout.sentences[m.sentence].text}
                                       for m in draft.ignored]), hide_index=True)
    st.subheader("Activities")
    st.dataframe(pd.DataFrame([{"activity": a.name, "legal basis": "; ".join(a.legal_basis),
                                "purpose": a.purpose or "", "retention": a.retention or "",
                                "recipients": "; ".join(a.recipients)} for a in draft.activities]), hide_index=True)
    with st.expander("The notice, with each claim's sentence highlighted"):
        spans = [(r.start, r.end, f"{r.name}: {r.country or r.region or '?'} / {r.mechanism}")
                 for r in draft.recipients]
        spans += [(r.mechanism_evidence["start"], r.mechanism_evidence["end"], f"mechanism of {r.name}")
                  for r in draft.recipients if r.mechanism_evidence]
        st.markdown(highlighted(draft.document.text, spans), unsafe_allow_html=True)

    if st.button("Import the reviewed draft", type="primary"):
        reviewed = apply_review(register_rows(draft), _decisions(edited, original) if not table.empty else {})
        try:
            graph = rows_to_graph([(i + 2, r) for i, r in enumerate(reviewed)], name)
            # The store the explorer shows (its workspace: $ROPA_STORE or Neo4j), opened for writing the
            # way the Import page does it (waits a moment while another program writes it).
            ws, _ = state.workspace()
            from ropa import revisions
            with ws.writing() as store:
                before = store.export()
                merged = before.merge(graph)
                revisions.commit(store, merged, author=st.session_state.get("author") or revisions.default_author(),
                                 reason=f"import of the reviewed draft of {name}", kind="notice", before=before,
                                 origin=f"import of the reviewed draft of {name} (merge, explorer)",
                                 page="Import a notice")
        except RopaError as exc:
            st.error(str(exc))
            return
        kept = sum(1 for r in reviewed if r.get("recipient"))
        st.success(f"Imported {kept} recipient rows from {name} into {ws.describe()}: the store now holds "
                   f"{len(merged.nodes['Activity'])} activities and {len(merged.nodes['Organisation'])} organisations.")


if __name__ == "__main__":  # run as a page of the explorer (st.Page("ropa/ui/extract_page.py"))
    page()
