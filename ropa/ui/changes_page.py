"""Changes: what changed since a snapshot (new, resolved and changed findings; recipients added or removed,
mechanisms and countries changed), the same model as ``ropa report --diff-against``; save a snapshot."""
from __future__ import annotations

import functools
import types

import pandas as pd
import streamlit as st

from .. import overlay
from ..errors import InputError
from ..findings import Finding, from_dicts
from ..report.diff import diff_against
from ..report.frames import CHANGE_COLUMNS, change_rows
from ..rules import load_rules, rule_pack_version
from ..snapshots import list_snapshots, save_snapshot, snapshot_dir
from ..tables import csv_bytes, xlsx_bytes
from . import state
from .common import as_of_picker, download, guarded, plain, quote, rows_key, store_caption, table_height

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_ORDER = ["change", "subject", "controller", "activity", "special data", "before", "now", "evidence", "source",
               "severity", "finding", "rule"]


def _findings(version: str, as_of) -> list[Finding]:
    return from_dicts(state.findings(version, as_of))


def _graph(version: str):
    def read():
        with state.reading() as store:
            return store.export()
    return state.memo("export", (version,), read, keep=1)


def changes_table(diff, special: dict[tuple[str, str], str] | None = None) -> pd.DataFrame:
    """The report's "changes since" rows (each change with its evidence and cited source,
    :func:`ropa.report.frames.change_rows`), with the rule's title next to its id and, next to the activity,
    its special data (``special``: (controller, activity) -> "Art. 9: health", :func:`ropa.special.activity_flags`):
    what the page shows and downloads."""
    titles = {r.id: r.title or r.id for r in load_rules()}
    table = pd.DataFrame(change_rows(types.SimpleNamespace(diff=diff)), columns=CHANGE_COLUMNS)
    table.insert(table.columns.get_loc("rule"), "finding", [titles.get(r, r) for r in table["rule"]])
    flags = special or {}
    table.insert(table.columns.get_loc("activity") + 1, "special data",
                 [flags.get((c, a), "") for c, a in zip(table["controller"], table["activity"])])
    return table


def _changes(version: str, as_of, snap) -> tuple[pd.DataFrame, object]:
    """The changes since ``snap`` as :func:`changes_table`, and the diff itself."""
    def build():
        cat = state.catalogue(version)
        scope = sorted(set(cat.activities["controller"]))
        diff = diff_against(snap, _graph(version), _findings(version, as_of), scope)
        from ..special import activity_flags
        return changes_table(diff, activity_flags(state.special(version))[1]), diff
    return state.memo("changes", (version, as_of, str(snap.path), snap.created), build, keep=4)


def _xlsx(df: pd.DataFrame) -> bytes:
    return xlsx_bytes({"Changes since snapshot": df})


def _save(version: str, as_of) -> None:
    name = st.session_state.get("snap_name", "").strip()
    try:
        snap = save_snapshot(_graph(version), _findings(version, as_of), name, as_of,
                             source=f"explorer store {version[:12]}", rule_pack_version=rule_pack_version())
    except InputError as exc:
        st.session_state["snap_saved"] = ("error", str(exc))
        return
    st.session_state["snap_saved"] = ("ok", f"Saved snapshot {snap.name} as of {as_of.isoformat()} "
                                             f"({len(snap.findings)} findings) to {snap.path}.")
    st.session_state["snap_pick"] = str(snap.path)


def _open(row: pd.Series) -> None:
    """Buttons that take a change to the Transfers page (search) or, for a current finding, to its route."""
    from .pages import page_for
    c1, c2 = st.columns(2)
    if c1.button("Show it on the Transfers page", key="chg_to_transfers", icon=":material/table_view:"):
        finding = row["change"].endswith("finding")
        st.session_state["ff_search" if finding else "tf_search"] = str(row["subject"]).split(" → ")[-1]
        st.switch_page(page_for("transfers"))
    if row["change"] in ("new finding", "changed finding") and c2.button(
            "Open its route in the Graph page", key="chg_to_graph", icon=":material/hub:"):
        for f in state.findings(state.version(), st.session_state["as_of"]):
            if (f["rule"], f.get("controller") or "", f.get("activity") or "", f.get("subject") or "") == \
                    (row["rule"], row["controller"], row["activity"], row["subject"]):
                st.session_state["graph_highlight"] = list(overlay.finding_identity(f))
                break
        st.switch_page(page_for("graph"))


@guarded
def page() -> None:
    store_caption()
    as_of = as_of_picker()
    st.title("Changes since a snapshot")
    st.caption("A snapshot keeps the RoPA and its findings as of a day (the same snapshots as `ropa snapshot save`; "
               f"folder: {plain(snapshot_dir())}). Compare with one to see new, resolved and changed findings, "
               "recipients added or removed, mechanisms and countries changed: the same model as "
               "`ropa report --diff-against`.")
    version = state.version()
    with st.expander("Save a snapshot of the RoPA as it is now", expanded=False):
        st.text_input("Name", key="snap_name", placeholder="e.g. 2026-Q4 (letters, digits, . _ -)")
        st.button(f"Save a snapshot as of {as_of.isoformat()}", key="snap_save", on_click=_save,
                  args=(version, as_of), icon=":material/save:")
    said = st.session_state.pop("snap_saved", None)
    if said:
        (st.success if said[0] == "ok" else st.error)(plain(said[1]))
    snaps = list_snapshots()
    if not snaps:
        st.info("No snapshot yet: save one above (or with `ropa snapshot save NAME`), change the RoPA, and "
                "come back to see what changed.")
        return
    by_path = {str(s.path): s for s in reversed(snaps)}
    if st.session_state.get("snap_pick") not in by_path:
        st.session_state.pop("snap_pick", None)
    pick = st.selectbox("Compare with", list(by_path), key="snap_pick",
                        format_func=lambda p: f"{by_path[p].name} · as of {by_path[p].as_of} · saved "
                                              f"{by_path[p].created} · {len(by_path[p].findings)} findings")
    snap = by_path[pick]
    changes, diff = _changes(version, as_of, snap)
    counts = diff.counts()
    cols = st.columns(len(counts))
    for col, (label, n) in zip(cols, counts.items()):
        col.metric(label, n)
    if diff.empty:
        st.success(f"Nothing changed since {snap.name}: the same findings as of {as_of.isoformat()} and the same "
                   "recipients, mechanisms and countries.")
        return
    kinds = st.multiselect("Kind of change", sorted(set(changes["change"])), key="chg_kinds", placeholder="all")
    shown = changes[changes["change"].isin(kinds)] if kinds else changes
    # what changed and its evidence first; the finding's severity and rule (empty for a RoPA change) after them
    event = st.dataframe(shown, key="chg_table", on_select="rerun", selection_mode="single-row", hide_index=True,
                         width="stretch", height=table_height(len(shown)), column_order=SHOWN_ORDER,
                         column_config={"evidence": st.column_config.TextColumn("evidence", width="large"),
                                        "before": st.column_config.TextColumn("before", width="medium"),
                                        "now": st.column_config.TextColumn("now", width="medium")})
    c1, c2 = st.columns(2)
    reuse = (version, as_of, str(snap.path), snap.created, rows_key(shown))
    download(c1, "Download the changes (CSV)", functools.partial(csv_bytes, shown), f"changes-since-{snap.name}.csv",
             "text/csv", "dl_changes_csv", rows=len(shown), icon=":material/download:", reuse=reuse)
    download(c2, "Download the changes (XLSX)", functools.partial(_xlsx, shown), f"changes-since-{snap.name}.xlsx",
             XLSX, "dl_changes_xlsx", rows=len(shown), icon=":material/download:", reuse=reuse)
    picked = event.selection.rows if event is not None else []
    if picked:
        row = shown.iloc[picked[0]]
        if row["evidence"] or row["source"]:
            st.markdown("**Evidence:**")
            quote(row["evidence"] or "", row["source"])
        _open(row)
