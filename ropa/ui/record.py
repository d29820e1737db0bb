"""Record: the Art. 30(1) record per controller and the Art. 30(2) record per processor, downloadable."""
from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from .. import art30
from ..tables import write_csv, write_xlsx
from . import state
from .common import guarded, store_caption


def _csv(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    write_csv(df, buf)
    return buf.getvalue()


def _xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    buf = io.BytesIO()
    write_xlsx(sheets, buf)
    return buf.getvalue()


@st.cache_data(show_spinner=False, max_entries=8)
def _sheets(version: str) -> dict[str, pd.DataFrame]:
    return art30.record_sheets(state.network(version))


@guarded
def page() -> None:
    store_caption()
    st.title("Record of processing activities (Art. 30)")
    st.caption("The tables a supervisory authority asks for, built from the stored RoPA. Cells the register "
               "does not fill say “not recorded”. Downloads are safe to open in a spreadsheet (formulas are "
               "neutralised).")
    version = state.version()
    g = state.network(version)
    sheets = _sheets(version)
    ctrl, proc = sheets["Art. 30(1) controllers"], sheets["Art. 30(2) processors"]
    if ctrl.empty:
        st.info("The store holds no processing activity yet. Import a register on the Import page.")
        return
    st.download_button("Download the whole record (XLSX, one sheet per article)", _xlsx(sheets),
                       "ropa-art30.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key="dl_xlsx", icon=":material/download:", type="primary")

    tab1, tab2 = st.tabs([f"Art. 30(1) controllers ({ctrl['(a) controller'].nunique()})",
                          f"Art. 30(2) processors ({proc['(a) processor'].nunique()})"])
    with tab1:
        controllers = sorted(ctrl["(a) controller"].unique(), key=str.casefold)
        who = st.selectbox("Controller", controllers, key="rec_controller")
        part = ctrl[ctrl["(a) controller"] == who]
        st.caption(f"{len(part)} processing activit{'y' if len(part) == 1 else 'ies'} of {who}")
        st.dataframe(part.drop(columns=["(a) controller"]), hide_index=True, width="stretch", key="rec_table_1")
        safe = "".join(c if c.isalnum() else "-" for c in who).strip("-").lower() or "controller"
        c1, c2 = st.columns(2)
        c1.download_button(f"Download {who}'s record (CSV)", _csv(part), f"art30-1-{safe}.csv", "text/csv",
                           key="dl_ctrl_csv", icon=":material/download:")
        c2.download_button(f"Download {who}'s record (XLSX)", _xlsx({"Art. 30(1)": part}), f"art30-1-{safe}.xlsx",
                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl_ctrl_xlsx",
                           icon=":material/download:")
    with tab2:
        if proc.empty:
            st.info("No recipient is recorded as a processor or sub-processor.")
        else:
            processors = ["all processors"] + sorted(proc["(a) processor"].unique(), key=str.casefold)
            who = st.selectbox("Processor", processors, key="rec_processor")
            part = proc if who == "all processors" else proc[proc["(a) processor"] == who]
            st.caption(f"{len(part)} row(s): one per processor and controller it acts for. Derived from the "
                       "controllers' records; a processor's own security measures are not in them.")
            st.dataframe(part, hide_index=True, width="stretch", key="rec_table_2")
            st.download_button("Download the Art. 30(2) record (CSV)", _csv(part), "art30-2.csv", "text/csv",
                               key="dl_proc_csv", icon=":material/download:")
    st.caption(f"{g.number_of_nodes()} nodes in the stored RoPA.")
