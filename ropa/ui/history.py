"""History: the revisions of the RoPA (who changed what, when, why), each with its records and the
findings it added and resolved as of the evaluation date; filter, export the audit log, revert."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from .. import revisions
from ..tables import csv_bytes, xlsx_bytes
from . import edit, state
from .common import as_of_picker, guarded, plain, store_caption


def _xlsx(df: pd.DataFrame) -> bytes:
    return xlsx_bytes({"Audit log": df})


def _journal(version: str) -> list[revisions.Revision]:
    return state.memo("revisions", (version,), lambda: state.reading_do(revisions.history), keep=2)


def _delta(version: str, number: int, as_of: dt.date):
    def compute():
        with st.spinner(f"Evaluating the rule pack before and after revision {number}…"):
            return state.reading_do(lambda s: revisions.revision_findings(s, number, as_of))
    return state.memo("revision_findings", (version, number, as_of), compute, keep=16)


def records_frame(rev: revisions.Revision) -> pd.DataFrame:
    """The revision's change, one line per record: table, what, record, the fields that changed."""
    rows = []
    for name, part in rev.change.items():
        table = name.split("/", 1)[1]
        for what in ("added", "removed"):
            for rec in part.get(what, ()):
                rows.append({"table": table, "change": what, "record": _label(rec), "fields": ""})
        for old, new in part.get("changed", ()):
            fields = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            rows.append({"table": table, "change": "changed", "record": _label(new),
                         "fields": "; ".join(f"{k}: {old.get(k)} → {new.get(k)}" for k in fields)})
    return pd.DataFrame(rows, columns=["table", "change", "record", "fields"])


def _label(rec: dict) -> str:
    if "id" in rec:
        return str(rec.get("name") or rec["id"])
    via = f" ({rec['activity']})" if rec.get("activity") else ""
    return f"{rec.get('src')} → {rec.get('dst')}{via}"


def _findings_frame(found: list) -> pd.DataFrame:
    return pd.DataFrame([{"severity": f.severity, "rule": f.title or f.rule, "controller": f.controller,
                          "activity": f.activity, "subject": f.subject, "reason": f.reason} for f in found],
                        columns=["severity", "rule", "controller", "activity", "subject", "reason"])


@guarded
def page() -> None:
    store_caption()
    as_of = as_of_picker()
    edit.author()
    st.title("History")
    edit.flash()
    version = state.version()
    revs = _journal(version)
    if not revs:
        st.info("No revisions yet. Every import and every change made in the explorer or with `ropa revert` "
                "is listed here with its author and reason.")
        return
    authors = sorted({r.author for r in revs})
    controllers = sorted({c for r in revs for c in r.controllers.split("; ") if c})
    c1, c2, c3 = st.columns(3)
    who = c1.multiselect("Author", authors, key="h_author", placeholder="all")
    ctl = c2.multiselect("Controller", controllers, key="h_controller", placeholder="all")
    first, last = revs[0].day, revs[-1].day
    span = c3.date_input("Between", value=(first, last), key="h_dates")
    shown = [r for r in revs if (not who or r.author in who)
             and (not ctl or set(ctl) & set(r.controllers.split("; ")))
             and (not isinstance(span, (tuple, list)) or len(span) != 2 or span[0] <= r.day <= span[1])]
    log = revisions.frame(reversed(shown))
    st.caption(f"{len(shown)} of {len(revs)} revision(s), newest first. Select one to see its records and the "
               f"findings it added and resolved as of {as_of.isoformat()}.")
    event = st.dataframe(log, key="history_table", on_select="rerun", selection_mode="single-row",
                         hide_index=True, width="stretch")
    d1, d2 = st.columns(2)
    d1.download_button("Audit log (CSV)", lambda: csv_bytes(log), "audit-log.csv", "text/csv", key="dl_history_csv",
                       on_click="ignore", icon=":material/download:")
    d2.download_button("Audit log (XLSX)", lambda: _xlsx(log), "audit-log.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl_history_xlsx",
                       on_click="ignore", icon=":material/download:")
    rows = event.selection.rows if event is not None else []
    number = int(log.iloc[rows[0]]["revision"]) if rows and rows[0] < len(log) else st.session_state.get("h_pick")
    if number is None or number not in {r.number for r in revs}:
        return
    rev = next(r for r in revs if r.number == number)
    st.subheader(f"Revision {rev.number}: {rev.reason}")
    st.markdown(plain(f"{rev.kind} by {rev.author} at {rev.at} UTC"
                      + (f"; controllers: {rev.controllers}" if rev.controllers else "")))
    st.markdown("**Records**")
    st.dataframe(records_frame(rev), hide_index=True, width="stretch", key="history_records")
    added, resolved = _delta(version, rev.number, as_of)
    st.markdown(f"**Findings as of {as_of.isoformat()}: {len(added)} new, {len(resolved)} resolved**")
    if added:
        st.caption("New")
        st.dataframe(_findings_frame(added), hide_index=True, width="stretch", key="history_new")
    if resolved:
        st.caption("Resolved")
        st.dataframe(_findings_frame(resolved), hide_index=True, width="stretch", key="history_resolved")
    _revert_form(rev)


def _revert_form(rev: revisions.Revision) -> None:
    base_key = "revert_base"
    edit.base_revision(base_key)
    with st.form("revert_form"):
        st.markdown(plain(f"Undo: make the RoPA what it was before revision {rev.number} (a new revision; "
                          "itself undoable)."))
        reason = st.text_input("Reason (required)", key="revert_reason")
        go = st.form_submit_button(f"Revert to before revision {rev.number}")
    if go:
        current = state.reading_do(lambda s: revisions.graph_before(s, rev.number))
        edit.write(current, reason=reason, base_key=base_key, kind="revert",
                   what=f"the RoPA as before revision {rev.number}")
