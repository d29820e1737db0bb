"""Report page: the DPO transfer-risk report, one download button per format."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from ..report import MEDIA_TYPES, build_report, filename, render
from ..report.pdf import find_chromium
from ..report.source import open_source
from .state import version

BUTTONS = {"pdf": "PDF", "xlsx": "Excel (XLSX)", "html": "HTML", "csv": "CSV (transfer register)", "md": "Markdown"}


@st.cache_data(show_spinner="Building the report…")
def _report(as_of: dt.date, controllers: tuple[str, ...], data_version: str = ""):
    """``data_version`` (the store's version) is only a cache key: a new import gives a new report."""
    with open_source() as src:
        return build_report(src.backend, as_of, list(controllers) or None, src.label)


@st.cache_data(show_spinner="Rendering…")
def _bytes(as_of: dt.date, controllers: tuple[str, ...], fmt: str, data_version: str = "") -> bytes:
    return render(_report(as_of, controllers, data_version), fmt)


def page() -> None:
    """Render the report page."""
    st.title("Transfer-risk report")
    st.caption("Every restricted transfer with its verdict, legal source, remediation and evidence; findings by "
               "rule; the Art. 30 records. Built on this machine; nothing is uploaded.")
    as_of = st.date_input("Evaluate as of", value=dt.date.today(), key="report_as_of")
    data_version = version()
    everyone = _report(as_of, (), data_version).controllers
    chosen = tuple(st.multiselect("Controllers (empty: all)", everyone, key="report_controllers"))
    report = _report(as_of, chosen, data_version)
    by_verdict = report.transfers_by_verdict()
    c1, c2, c3 = st.columns(3)
    c1.metric("Restricted transfers", len(report.transfers))
    c2.metric("Without a valid basis", by_verdict["no_valid_basis"])
    c3.metric("Findings", len(report.findings))
    st.caption(f"Data: {report.source} · rule pack {report.rule_pack_version}")
    pdf_ok = find_chromium() is not None
    for col, (fmt, label) in zip(st.columns(len(BUTTONS)), BUTTONS.items()):
        col.download_button(
            label, data=lambda fmt=fmt: _bytes(as_of, chosen, fmt, data_version), file_name=filename(report, fmt),
            mime=MEDIA_TYPES[fmt], on_click="ignore", key=f"report_download_{fmt}",
            disabled=fmt == "pdf" and not pdf_ok,
            help="Needs headless Chromium (apt-get install chromium)" if fmt == "pdf" and not pdf_ok else None)
