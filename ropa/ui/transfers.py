"""Transfers & findings: every finding and every restricted transfer, filterable; a row shows its route."""
from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from .. import views
from ..render import network_html
from ..palette import OK_COLOUR, SEVERITY_COLOURS
from ..tables import write_csv
from . import state
from .common import as_of_picker, graph_frame, guarded, plain, quote, store_caption

SUBGRAPH_HEIGHT = 340
SEVERITY_ORDER = ["high", "medium", "low", ""]


def _csv(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    write_csv(df, buf)
    return buf.getvalue()


def _filter_bar(df: pd.DataFrame, prefix: str, columns: list[tuple[str, str]]) -> pd.DataFrame:
    """Multiselects over some columns plus a free-text search; returns the matching rows."""
    cols = st.columns(len(columns) + 1)
    for col, (name, title) in zip(cols, columns):
        values = sorted({str(v) for v in df[name].dropna() if str(v)},
                        key=lambda v: (SEVERITY_ORDER.index(v) if v in SEVERITY_ORDER else 9, v.casefold()))
        chosen = col.multiselect(title, values, key=f"{prefix}_{name}", placeholder="all")
        if chosen:
            df = df[df[name].astype(str).isin(chosen)]
    text = cols[-1].text_input("Search", key=f"{prefix}_search", placeholder="any word, e.g. Shield")
    if text.strip():
        needle = text.strip().casefold()
        hay = df.drop(columns=[c for c in ("edge",) if c in df.columns]).astype(str).agg(" ".join, axis=1)
        df = df[hay.str.casefold().str.contains(needle, regex=False)]
    return df


def _severity_style(value: object) -> str:
    colour = {**SEVERITY_COLOURS, "violation": SEVERITY_COLOURS["high"], "warning": SEVERITY_COLOURS["medium"],
              "ok": OK_COLOUR}.get(str(value))
    if not colour:
        return ""
    return f"background-color: {colour}; color: {'#1b1b1b' if value == 'low' else '#ffffff'}"


def _table(df: pd.DataFrame, key: str, order: list[str]) -> int | None:
    """Show a selectable table; the original index of the selected row, if any."""
    config = {
        "severity": st.column_config.TextColumn("severity", width="small"),
        "verdict": st.column_config.TextColumn("verdict", width="small"),
        "path": st.column_config.TextColumn("path", width="large"),
        "reason": st.column_config.TextColumn("reason", width="large"),
        "evidence": st.column_config.TextColumn("evidence", width="large"),
        "legal_source": st.column_config.TextColumn("legal source", width="medium"),
        "row": st.column_config.NumberColumn("row", format="%d", width="small"),
    }
    styled = df[order].style.map(_severity_style, subset=[c for c in ("severity", "verdict") if c in order])
    event = st.dataframe(styled, key=key, on_select="rerun", selection_mode="single-row", hide_index=True,
                         column_config=config, width="stretch", height=min(420, 38 + 35 * max(1, len(df))))
    rows = event.selection.rows if event is not None else []
    return df.index[rows[0]] if rows and rows[0] < len(df) else None


def _details(full, route: list[str], lines: list[tuple[str, str]], evidence: str, where: str, finding=None):
    left, right = st.columns([2, 3])
    with left:
        for title, text in lines:
            if text:
                st.markdown(f"**{title}:** {plain(text)}")
        st.markdown("**Evidence:**")
        quote(evidence, where)
        if finding is not None and st.button("Open this route in the Graph page", key="open_in_graph",
                                             icon=":material/hub:"):
            st.session_state["graph_highlight"] = list(views.finding_identity(finding))
            from .pages import page_for
            st.switch_page(page_for("graph"))
    with right:
        sub = views.route_subgraph(full, route)
        if sub.number_of_nodes():
            graph_frame(network_html(sub, height=SUBGRAPH_HEIGHT), SUBGRAPH_HEIGHT)
        else:
            st.caption("This row names nothing that is in the graph.")


@guarded
def page() -> None:
    store_caption()
    as_of = as_of_picker()
    st.title("Transfers & findings")
    version = state.version()
    full = state.annotated(version, as_of)
    findings = state.findings(version, as_of)
    transfers = state.transfers(version, as_of)
    st.caption(f"As of {as_of.isoformat()}. Select a row to see its route in the graph and its evidence; "
               "click a column header to sort.")
    tab_f, tab_t = st.tabs([f"Findings ({len(findings)})", f"Restricted transfers ({len(transfers)})"])

    with tab_f:
        if not findings:
            st.success(f"No findings as of {as_of.isoformat()}.")
        else:
            table = views.findings_table(findings)
            shown = _filter_bar(table, "ff", [("severity", "Severity"), ("rule", "Rule"), ("controller", "Controller")])
            st.caption(f"{len(shown)} of {len(table)} findings")
            order = ["severity", "rule", "controller", "exporter", "importer", "destination", "mechanism", "path",
                     "activity", "reason", "legal_source", "remediation", "evidence", "source", "row"]
            picked = _table(shown, "findings_table", order)
            st.download_button("Download these findings (CSV)", _csv(shown[order]), "findings.csv", "text/csv",
                               key="dl_findings", icon=":material/download:")
            if picked is not None:
                f = findings[picked]
                st.subheader(views.finding_label(f))
                where = ", ".join(x for x in (f.get("source"), f"row {f['row']}" if f.get("row") else "") if x)
                _details(full, views.finding_route(full, f),
                         [("Finding", f.get("title") or f["rule"]), ("Reason", f["reason"]),
                          ("Legal source", f["legal_source"]), ("Article", f.get("article", "")),
                          ("Remediation", f["remediation"])],
                         f.get("evidence") or "", where, finding=f)

    with tab_t:
        if transfers.empty:
            st.success("No transfers outside the EEA: every recipient processes data inside the EEA.")
        else:
            shown = _filter_bar(transfers, "tf", [("verdict", "Verdict"), ("controller", "Controller"),
                                                  ("destination", "Destination")])
            st.caption(f"{len(shown)} of {len(transfers)} restricted transfers")
            order = ["verdict", "severity", "controller", "exporter", "importer", "destination", "mechanism", "path",
                     "activity", "rules", "reason", "legal_source", "remediation", "evidence", "source", "row"]
            picked = _table(shown, "transfers_table", order)
            st.download_button("Download these transfers (CSV)", _csv(shown[order]), "transfers.csv", "text/csv",
                               key="dl_transfers", icon=":material/download:")
            if picked is not None:
                t = transfers.loc[picked]
                st.subheader(f"{t['exporter']} → {t['importer']} ({t['destination_names']})")
                where = ", ".join(x for x in (t["source"], f"row {int(t['row'])}" if pd.notna(t["row"]) else "") if x)
                _details(full, views.hop_route(full, t["edge"]),
                         [("Activity", t["activity"]), ("Mechanism", t["mechanism"]),
                          ("Verdict", t["verdict"]), ("Findings", t["reason"] or "none"),
                          ("Legal source", t["legal_source"]), ("Remediation", t["remediation"])],
                         t["evidence"] or "", where)
