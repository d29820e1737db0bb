"""Record: the Art. 30(1) record per controller and the Art. 30(2) record per processor, downloadable."""
from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from .. import art30, network
from ..tables import csv_bytes, xlsx_bytes
from . import edit, state
from .common import download, guarded, store_caption, table_height


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _whole_record(version: str) -> bytes:
    """The whole record as XLSX: built from a full export, so only when someone asks for it."""
    with state.reading() as store:
        sheets = art30.record_sheets(network.build_network(store.export()))
    return xlsx_bytes(sheets)


def _controller_part(version: str, controller: str) -> pd.DataFrame:
    """The Art. 30(1) rows of one controller (id), read from that controller's part of the store."""
    def read():
        cat = state.catalogue(version)
        acts = cat.activities["id"][cat.activities["controller_id"] == controller].tolist()
        net = state.network(version, None, acts, [controller])
        return art30.controller_record(net, network.node_key("Organisation", controller))
    return state.memo("art30-1", (version, controller), read, keep=16)


def _processor_part(version: str, processor: str) -> pd.DataFrame:
    """The Art. 30(2) rows of one processor (id): the activities it serves and their flows."""
    def read():
        hops = state.catalogue(version).hops
        acts = hops["activity_id"][hops["importer_id"] == processor].unique().tolist()
        net = state.network(version, None, acts, [processor])
        return art30.processor_record(net, network.node_key("Organisation", processor))
    return state.memo("art30-2", (version, processor), read, keep=16)


def _choose(title: str, options: list[tuple[str, str]], key: str, cap: int = 1000) -> str | None:
    """A selectbox over (id, name); over ``cap`` choices a search box narrows them first."""
    names = dict(options)
    shown = [k for k, _ in options]
    if len(shown) > cap:
        needle = st.text_input(f"{title}: search", key=f"{key}_q", placeholder=f"{len(shown)} to choose from")
        needle = needle.strip().casefold()
        shown = [k for k in shown if needle in str(names[k]).casefold()][:cap] if needle else shown[:cap]
        current = st.session_state.get(key)
        if current in names and current not in shown:
            shown.insert(0, current)
    if st.session_state.get(key) not in (None, *shown):
        del st.session_state[key]
    return st.selectbox(title, shown, format_func=lambda k: names.get(k, k), key=key) if shown else None


@guarded
def page() -> None:
    store_caption()
    edit.author()
    st.title("Record of processing activities (Art. 30)")
    edit.flash()
    st.caption("The tables a supervisory authority asks for, built from the stored RoPA. Cells the register "
               "does not fill say “not recorded”. Downloads are safe to open in a spreadsheet (formulas are "
               "neutralised).")
    version = state.version()
    cat = state.catalogue(version)
    acts = cat.activities
    if not len(acts):
        st.info("The store holds no processing activity yet. Import a register on the Import page.")
        return
    edit.drafts_section(version)  # drafts from a notice, apart until someone accepts them
    download(st, "Download the whole record (XLSX, one sheet per article)", functools.partial(_whole_record, version),
             "ropa-art30.xlsx", XLSX, "dl_xlsx", icon=":material/download:", type="primary",
             help="Built when you click: for a large RoPA this takes a while.")
    controllers = sorted({(i, n) for i, n in zip(acts["controller_id"], acts["controller"])},
                         key=lambda kv: (str(kv[1]).casefold(), kv[0]))
    hops = cat.hops
    served = hops[hops["role"].isin(["processor", "subprocessor"])]
    processors = sorted({(i, n) for i, n in zip(served["importer_id"], served["importer"])},
                        key=lambda kv: (str(kv[1]).casefold(), kv[0]))
    tab1, tab2 = st.tabs([f"Art. 30(1) controllers ({len(controllers)})", f"Art. 30(2) processors ({len(processors)})"],
                         key="rec_tabs")  # the open tab survives a rerun
    with tab1:
        chosen = _choose("Controller", controllers, "rec_controller")
        if chosen is not None:
            who = dict(controllers)[chosen]
            part = _controller_part(version, chosen)
            st.caption(f"{len(part)} processing activit{'y' if len(part) == 1 else 'ies'} of {who}")
            st.dataframe(part.drop(columns=["(a) controller"]), hide_index=True, width="stretch", key="rec_table_1", height=table_height(len(part)))
            safe = "".join(c if c.isalnum() else "-" for c in who).strip("-").lower() or "controller"
            c1, c2 = st.columns(2)
            download(c1, f"Download {who}'s record (CSV)", functools.partial(csv_bytes, part), f"art30-1-{safe}.csv",
                     "text/csv", "dl_ctrl_csv", rows=len(part), icon=":material/download:")
            download(c2, f"Download {who}'s record (XLSX)", functools.partial(xlsx_bytes, {"Art. 30(1)": part}),
                     f"art30-1-{safe}.xlsx", XLSX, "dl_ctrl_xlsx", rows=len(part), icon=":material/download:")
    with tab2:
        if not processors:
            st.info("No recipient is recorded as a processor or sub-processor.")
        else:
            chosen = _choose("Processor", processors, "rec_processor")
            if chosen is not None:
                part = _processor_part(version, chosen)
                st.caption(f"{len(part)} row(s): one per controller {dict(processors)[chosen]} acts for. Derived "
                           "from the controllers' records; a processor's own security measures are not in them. "
                           "Every processor is in the whole record (download above).")
                st.dataframe(part, hide_index=True, width="stretch", key="rec_table_2", height=table_height(len(part)))
                download(st, "Download this Art. 30(2) record (CSV)", functools.partial(csv_bytes, part), "art30-2.csv",
                         "text/csv", "dl_proc_csv", rows=len(part), icon=":material/download:")
    st.caption(f"{cat.counts.get('activities', 0)} processing activities and {cat.counts.get('organisations', 0)} "
               "organisations in the stored RoPA.")
    st.subheader("Maintain the record")
    st.caption("Each change is checked like an import and saved as a revision with your name and reason "
               "(History page), all or nothing.")
    edit.activity_forms(version)
    edit.recipient_forms(version)
    if edit.opened("Change a recipient's transfer mechanism", "rec_mech_open"):
        edit.mechanism_form(version, "Record page")
