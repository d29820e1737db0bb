"""Special categories: the activities that process Art. 9 or Art. 10 data, their condition, where those
data go and which restricted transfers carry them."""
from __future__ import annotations

import functools
import io

import pandas as pd
import streamlit as st

from ..special import NOT_RECORDED, special_activities
from ..tables import write_csv
from . import state
from .common import as_of_picker, download, guarded, plain, quote, store_caption, table_height

SHOWN = ["controller", "activity", "article", "special data", "condition", "recipients", "countries",
         "restricted transfers", "worst verdict"]
TRANSFER_COLUMNS = ["verdict", "exporter", "importer", "destination", "mechanism", "rules", "reason"]


def _csv(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    write_csv(df[SHOWN], buf)
    return buf.getvalue()


@guarded
def page() -> None:
    store_caption()
    as_of = as_of_picker()
    st.title("Special categories (Art. 9/10)")
    st.caption("Activities that process special categories of personal data (Art. 9(1) GDPR: health, "
               "biometric, genetic data, ...) or data on criminal convictions and offences (Art. 10), with the "
               "Art. 9(2) condition each relies on, where those data go, and the restricted transfers that carry "
               f"them as of {as_of.isoformat()}.")
    version = state.version()
    cat = state.catalogue(version)
    rows = state.special(version)
    ev = state.evaluation(version, as_of)
    table = state.memo("special table", (version, as_of),
                       lambda: special_activities(rows, cat.hops, cat.places, ev.transfers), keep=4)
    if table.empty:
        st.info("No activity in the stored RoPA processes special-category (Art. 9) or criminal-offence "
                "(Art. 10) data: no data category of theirs reveals such data.")
        return
    missing = table[(table["article"].str.contains("Art. 9")) & (table["condition"] == NOT_RECORDED)]
    c1, c2, c3 = st.columns(3)
    c1.metric("Activities with Art. 9/10 data", len(table))
    c2.metric("Without a recorded Art. 9(2) condition", len(missing))
    c3.metric("Restricted transfers carrying them", int(table["restricted transfers"].sum()))
    event = st.dataframe(table[SHOWN], key="special_table", on_select="rerun", selection_mode="single-row",
                         hide_index=True, width="stretch", height=table_height(len(table)))
    download(st, "Download this table (CSV)", functools.partial(_csv, table), "special-categories.csv", "text/csv",
             "dl_special", rows=len(table), icon=":material/download:")
    picked = event.selection.rows if event is not None else []
    if not picked:
        st.caption("Select an activity to see the transfers that carry its data.")
        return
    row = table.iloc[picked[0]]
    st.subheader(f"{row['activity']} · {row['controller']}")
    st.markdown(f"**Special data:** {plain(row['special data'])}  \n**Condition:** {plain(row['condition'])}"
                f"  \n**Recipients:** {plain(row['recipients'] or 'none recorded')}")
    # the evidence of each of its data flows, cited like the Transfers page (document, place, language)
    prov = state.provenance(version)
    mine = cat.hops[cat.hops["activity_id"] == row["activity_id"]]
    st.markdown("**Evidence:**")
    if mine.empty:
        quote("")
    for exporter, importer, text, source, at_row in zip(mine["exporter"], mine["importer"], mine["evidence"],
                                                        mine["source"], mine["row"]):
        st.caption(plain(f"{exporter} → {importer}"))
        quote(text or "", prov.cite(source, at_row))
    carried = ev.transfers[ev.transfers["activity_id"] == row["activity_id"]]
    if carried.empty:
        st.success("No restricted transfer carries this activity's data: its recipients process them in the EEA.")
    else:
        st.dataframe(carried[TRANSFER_COLUMNS], hide_index=True, width="stretch",
                     height=table_height(len(carried)), key="special_transfers")
