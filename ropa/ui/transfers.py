"""Transfers & findings: every finding and every restricted transfer, filterable; a row shows its route."""
from __future__ import annotations

import functools
import io
from typing import Callable

import pandas as pd
import streamlit as st

from .. import browse, overlay, routes
from ..browse import PAGE_SIZE
from ..render import network_html
from ..palette import SEVERITY_COLOURS, VERDICT_COLOURS, VERDICT_LABELS
from ..tables import write_csv
from . import edit, state
from .common import (XLSX_MIME, as_of_picker, download, graph_frame, guarded, many_multiselect, plain, quote, rows_key,
                     store_caption, table_height)

SUBGRAPH_HEIGHT = 340
SEVERITY_ORDER = ["high", "medium", "low", ""] + [VERDICT_LABELS[v] for v in VERDICT_COLOURS]  # worst first


def _csv(df: pd.DataFrame, columns: list[str]) -> bytes:
    buf = io.BytesIO()
    write_csv(df[columns], buf)
    return buf.getvalue()


LIST_SEP = "; "  # between the values of a many-valued column (data categories, data subjects)
MANY_VALUED = frozenset({"data_categories", "data_subjects"})


def _values(series: pd.Series, many: bool) -> list[str]:
    """The distinct values of a column (of each cell's list for a many-valued one), worst first, then by name."""
    if many:
        found = {v for cell in series.dropna().astype(str).unique() for v in cell.split(LIST_SEP) if v}
    else:
        found = {v for v in series.dropna().astype(str).unique() if v}
    return sorted(found, key=lambda v: (SEVERITY_ORDER.index(v) if v in SEVERITY_ORDER else 9, v.casefold()))


def _xlsx(df: pd.DataFrame, columns: list[str]) -> bytes:
    from ..tables import xlsx_bytes
    return xlsx_bytes({"Transfers": df[columns]})


SUMMARY_ROWS = 5000  # up to this many rows, the categories line shows unfiltered too (a filter always shows it)


def _data_summary(df: pd.DataFrame) -> None:
    """One line over a filtered table: the data categories and subjects its transfers carry (each once)."""
    cats, subjects = _values(df["data_categories"], True), _values(df["data_subjects"], True)
    st.caption(plain(f"Data categories in these {len(df)} transfers: {', '.join(cats) or 'none recorded'}. "
                     f"Data subjects: {', '.join(subjects) or 'none recorded'}."))


def _filter_bar(df: pd.DataFrame, prefix: str, columns: list[tuple[str, str]],
                haystack: Callable[[], pd.Series]):
    """Multiselects over some columns plus a free-text search; the matching rows, and the slot at the
    row's end for the pager (one row of widgets above the table, so the table starts higher).

    A many-valued column (:data:`MANY_VALUED`, values joined by "; ") offers each value once and keeps the rows
    that hold any chosen one. ``haystack`` gives each row's text in lower case (built once per table, only when
    someone searches)."""
    cols = st.columns([3] * (len(columns) + 1) + [2])
    for col, (name, title) in zip(cols, columns):
        many = name in MANY_VALUED
        values = _values(df[name], many)
        chosen = many_multiselect(col, title, [(v, v) for v in values], f"{prefix}_{name}")
        if chosen:
            if many:
                wanted = set(chosen)
                df = df[[not wanted.isdisjoint(str(c).split(LIST_SEP)) for c in df[name]]]
            else:
                df = df[df[name].astype(str).isin(chosen)]
    text = cols[-2].text_input("Search", key=f"{prefix}_search", placeholder="any word, e.g. Shield")
    if text.strip():
        hay = haystack()
        df = df[hay.loc[df.index].str.contains(text.strip().casefold(), regex=False)]
    return df, cols[-1]


def _pager(df: pd.DataFrame, key: str, what: str, total: int, slot) -> pd.DataFrame:
    """One page of ``df`` (PAGE_SIZE rows) with a page picker in ``slot``; only this page is sent to the
    browser."""
    pages = max(1, -(-len(df) // PAGE_SIZE))
    if st.session_state.get(key, 1) > pages:
        st.session_state[key] = 1  # the filter shrank the table
    page = slot.number_input("Page", min_value=1, max_value=pages, value=1, step=1, key=key,
                             disabled=pages == 1)
    part, page, pages = browse.page_of(df, page, PAGE_SIZE)
    first = (page - 1) * PAGE_SIZE + 1 if len(df) else 0
    st.caption(f"{what} {first}–{first + len(part) - 1 if len(part) else 0} of {len(df)}"
                  + (f" (filtered from {total})" if len(df) != total else "") + f" · page {page} of {pages}")
    return part


def _severity_style(value: object) -> str:
    colour = {**SEVERITY_COLOURS, **{VERDICT_LABELS[v]: c for v, c in VERDICT_COLOURS.items()}}.get(str(value))
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
        "evidence_at": st.column_config.TextColumn("where in the source", width="medium",
                                                   help="Where the quote stands in its document: section, line, "
                                                        "characters"),
        "legal_source": st.column_config.TextColumn("legal source", width="medium"),
        "row": st.column_config.NumberColumn("row", format="%d", width="small"),
        "data_categories": st.column_config.TextColumn("data categories", width="large",
                                                       help="The data categories of the transfer's activity"),
        "data_subjects": st.column_config.TextColumn("data subjects", width="medium",
                                                     help="The data subjects of the transfer's activity"),
        "special": st.column_config.TextColumn("special data", width="small",
                                               help="Special-category (Art. 9) or criminal (Art. 10) data of the "
                                                    "activity"),
    }
    styled = df[order].style.map(_severity_style, subset=[c for c in ("severity", "verdict") if c in order])
    event = st.dataframe(styled, key=key, on_select="rerun", selection_mode="single-row", hide_index=True,
                         column_config=config, width="stretch", height=table_height(len(df)))
    rows = event.selection.rows if event is not None else []
    return df.index[rows[0]] if rows and rows[0] < len(df) else None


def _details(net, route: list[str], lines: list[tuple[str, str]], evidence: str, where: str, finding=None):
    left, right = st.columns([2, 3])
    with left:
        for title, text in lines:
            if text:
                st.markdown(f"**{title}:** {plain(text)}")
        st.markdown("**Evidence:**")
        quote(evidence, where)
        if finding is not None and st.button("Open this route in the Graph page", key="open_in_graph",
                                             icon=":material/hub:"):
            st.session_state["graph_highlight"] = list(overlay.finding_identity(finding))
            from .pages import page_for
            st.switch_page(page_for("graph"))
    with right:
        sub = routes.route_subgraph(net, route)
        if sub.number_of_nodes():
            graph_frame(network_html(sub, height=SUBGRAPH_HEIGHT, layout="flow"), SUBGRAPH_HEIGHT)
        else:
            st.caption("This row names nothing that is in the graph.")


FINDING_ORDER = ["severity", "title", "rule", "controller", "exporter", "importer", "destination", "mechanism", "path",
                 "activity", "special", "reason", "legal_source", "remediation", "evidence", "source", "evidence_at", "row"]
TRANSFER_ORDER = ["verdict", "severity", "controller", "exporter", "importer", "destination", "mechanism", "path",
                  "activity", "data_categories", "data_subjects", "special", "rules", "reason", "legal_source", "remediation", "evidence", "source", "evidence_at", "row"]


def _with_special(version: str, table: pd.DataFrame, transfers: pd.DataFrame):
    """The two tables as shown: a "special" column, the Art. 9/10 data of the row's activity (empty if none); the
    findings' evidence cited by its document's title and file or URL and the quote's place (the register's are).
    Rules already come by their titles (the findings' "title", the register's "rules")."""
    from ..special import activity_flags
    by_id, by_name = activity_flags(state.special(version))
    prov = state.provenance(version)  # evidence cited by document title and file, and the quote's place
    table = table.assign(special=[by_name.get((c, a), "") for c, a in zip(table["controller"], table["activity"])],
                         evidence_at=[prov.place(s, r) for s, r in zip(table["source"], table["row"])],
                         source=[prov.document(s) for s in table["source"]])
    transfers = transfers.assign(special=[by_id.get(a, "") for a in transfers["activity_id"]])
    return table, transfers


@guarded
def page() -> None:
    store_caption()
    as_of = as_of_picker()
    edit.author()
    st.title("Transfers & findings")
    edit.flash()
    version = state.version()
    ev = state.evaluation(version, as_of)
    with st.spinner("Building the tables…"):
        findings, table, transfers = ev.findings, ev.table, ev.transfers
        table, transfers = state.memo("flagged tables", (version, as_of),
                                      lambda: _with_special(version, table, transfers), keep=4)
    st.caption(f"As of {as_of.isoformat()}. Select a row to see its route in the graph and its evidence; "
               f"click a column header to sort the page. {PAGE_SIZE} rows a page.")
    # keyed: the open tab survives a rerun (without a key, selecting a transfer's row switched back to Findings)
    tab_f, tab_t = st.tabs([f"Findings ({len(findings)})", f"Restricted transfers ({len(transfers)})"], key="tf_tabs")

    with tab_f:
        if not findings:
            st.success(f"No findings as of {as_of.isoformat()}.")
        else:
            shown, slot = _filter_bar(table, "ff", [("severity", "Severity"), ("title", "Rule"),
                                                    ("controller", "Controller"), ("special", "Special data")],
                                      lambda: state.haystack("findings", version, as_of, table, FINDING_ORDER))
            part = _pager(shown, "ff_page", "Findings", len(table), slot)
            picked = _table(part, "findings_table", FINDING_ORDER)
            download(st, "Download these findings (CSV)", functools.partial(_csv, shown, FINDING_ORDER),
                     "findings.csv", "text/csv", "dl_findings", rows=len(shown), icon=":material/download:",
                     reuse=(version, as_of, rows_key(shown)))
            if picked is not None:
                f = findings[picked]
                st.subheader(overlay.finding_label(f))
                where = state.provenance(version).cite(f.get("source"), f.get("row"))
                acts, orgs = browse.finding_scope(state.catalogue(version), f)
                net = state.network(version, as_of, acts, orgs)
                _details(net, routes.finding_route(net, f),
                         [("Finding", f.get("title") or f["rule"]),
                          ("Path", " → ".join(f.get("path") or []) if len(f.get("path") or []) > 2 else ""),
                          ("Reason", f["reason"]),
                          ("Legal source", f["legal_source"]), ("Article", f.get("article", "")),
                          ("Remediation", f["remediation"])],
                         f.get("evidence") or "", where, finding=f)

    with tab_t:
        if transfers.empty:
            st.success("No transfers outside the EEA: every recipient processes data inside the EEA.")
        else:
            shown, slot = _filter_bar(transfers, "tf", [("verdict", "Verdict"), ("controller", "Controller"),
                                                        ("destination", "Destination"),
                                                        ("data_categories", "Data category"),
                                                        ("data_subjects", "Data subject"),
                                                        ("special", "Special data")],
                                      lambda: state.haystack("transfers", version, as_of, transfers, TRANSFER_ORDER))
            if len(shown) != len(transfers) or len(shown) <= SUMMARY_ROWS:
                _data_summary(shown)
            part = _pager(shown, "tf_page", "Restricted transfers", len(transfers), slot)
            picked = _table(part, "transfers_table", TRANSFER_ORDER)
            left, right = st.columns(2)
            reuse = (version, as_of, rows_key(shown))
            download(left, "Download these transfers (CSV)", functools.partial(_csv, shown, TRANSFER_ORDER),
                     "transfers.csv", "text/csv", "dl_transfers", rows=len(shown), icon=":material/download:",
                     reuse=reuse)
            download(right, "Download these transfers (XLSX)", functools.partial(_xlsx, shown, TRANSFER_ORDER),
                     "transfers.xlsx", XLSX_MIME, "dl_transfers_xlsx", rows=len(shown), icon=":material/download:",
                     reuse=reuse)
            if picked is not None:
                t = transfers.loc[picked]
                st.subheader(f"{t['exporter']} → {t['importer']} ({t['destination_names']})")
                where = ", ".join(x for x in (t["source"], t["evidence_at"] or (
                    f"row {int(t['row'])}" if pd.notna(t["row"]) else "")) if x)
                net = state.network(version, as_of, [t["activity_id"]])
                edge = browse.hop_edge(net, t)
                _details(net, routes.hop_route(net, edge) if edge else [],
                         [("Activity", t["activity"]), ("Mechanism", t["mechanism"]),
                          ("Verdict", t["verdict"]), ("Findings", t["reason"] or "none"),
                          ("Legal source", t["legal_source"]), ("Remediation", t["remediation"])],
                         t["evidence"] or "", where)
    _edit_section(version, transfers, picked if not transfers.empty else None)


def _edit_section(version: str, transfers: pd.DataFrame, picked) -> None:
    """Change a recipient's mechanism, date, TIA, DPA: the selected transfer's hop, or any."""
    from ..edits import HopKey
    pre = None
    if picked is not None:
        t = transfers.loc[picked]
        pre = HopKey(t["type"], t["src_id"], t["importer_id"], t["activity_id"])
    if edit.opened("Change a recipient's transfer mechanism", "tf_edit_open", preselected=pre is not None):
        st.caption("Checked like an import; saved as a revision with your name and reason (History page), "
                   "all or nothing. The verdicts above follow at once.")
        edit.mechanism_form(version, "Transfers page", pre)
