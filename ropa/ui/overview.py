"""Overview page: counts and findings by severity."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from .state import findings_as_of, sample_store


def page() -> None:
    """Render the overview."""
    st.title("RoPA Graph Explorer")
    st.caption("Sample data: the register built from five real privacy notices. Embedded store, nothing leaves this machine.")
    as_of = st.date_input("Evaluate as of", value=dt.date.today())
    store = sample_store()
    counts = store.run(
        "MATCH (a:Activity) WITH count(a) AS activities "
        "MATCH (o:Organisation) RETURN activities, count(o) AS organisations")[0]
    findings = findings_as_of(as_of)
    c1, c2, c3 = st.columns(3)
    c1.metric("Activities", counts["activities"])
    c2.metric("Organisations", counts["organisations"])
    c3.metric("High findings", sum(f["severity"] == "high" for f in findings))
    if findings:
        df = pd.DataFrame(findings)
        df["path"] = df["path"].map(lambda p: " → ".join(p))
        st.dataframe(df[["severity", "rule", "subject", "controller", "reason", "legal_source", "evidence"]],
                     hide_index=True, width="stretch")
    else:
        st.success("No findings.")
