"""Report page: the DPO transfer-risk report, one download button per format.

The report is built from the explorer's store (the bundled sample when the store is empty) once per
(store version, date, controllers) and kept; a small RoPA's report is built when the page opens, a
large one's when asked, with the rule pack's progress shown. The rule pack runs once per store state and
date for this page and the others, whichever asks first (the explorer holds those findings). Each format
is rendered on click.
"""
from __future__ import annotations

import datetime as dt

import streamlit as st

from ..report import MEDIA_TYPES, build_report, filename, render
from ..report.pdf import find_chromium
from ..report.source import has_activities, open_source
from . import state
from .common import as_of_picker, guarded, store_caption

BUTTONS = {"pdf": "PDF", "xlsx": "Excel (XLSX)", "html": "HTML", "csv": "CSV (transfer register)", "md": "Markdown"}
BUILD_AT_ONCE = 5000  # activities: up to this many, the report is built when the page opens


def _report(data_version: str, as_of: dt.date, controllers: tuple[str, ...], progress=None):
    """The report of the store (the bundled sample when it is empty). The rule pack's findings the explorer
    already holds for this store state and date are reused (``state.held_findings``); else it runs here
    and the explorer keeps them for the other pages (``state.keep_findings``)."""
    with state.reading() as store:
        if has_activities(store):
            found = state.held_findings(data_version, as_of)
            if found is None:  # the first page to ask: the rule pack runs here, and its findings are kept
                from ..rules import evaluate
                found = evaluate(store, as_of, progress=progress)
                state.keep_findings(data_version, as_of, found)
            return build_report(store, as_of, list(controllers) or None, f"store: {store.describe()}",
                                progress=progress, findings=found)
    with open_source() as src:  # the bundled sample data
        return build_report(src.backend, as_of, list(controllers) or None, src.label, progress=progress)


def _build(data_version: str, as_of: dt.date, controllers: tuple[str, ...]):
    """Build the report (with a progress bar) or return the one built before for the same choices."""
    def build():
        with st.status("Building the report…", expanded=True) as status:
            bar = st.progress(0.0, text="reading the store")

            def progress(fraction: float, what: str) -> None:
                bar.progress(min(1.0, max(0.0, 0.9 * fraction)), text=f"rule {what}")
            report = _report(data_version, as_of, controllers, progress)
            status.update(label=f"Report built: {len(report.transfers)} restricted transfers, "
                                f"{len(report.findings)} findings", state="complete", expanded=False)
        return report
    return state.memo("report", (data_version, as_of, controllers), build, keep=4)


def _bytes(data_version: str, as_of: dt.date, controllers: tuple[str, ...], fmt: str) -> bytes:
    report = state.peek("report", (data_version, as_of, controllers))
    if report is None:  # dropped from the memo meanwhile: build again (no progress bar on a download)
        report = _report(data_version, as_of, controllers)
    return state.memo("report bytes", (data_version, as_of, controllers, fmt), lambda: render(report, fmt), keep=4)


@guarded
def page() -> None:
    """Render the report page (as of the sidebar's evaluation date, like every page)."""
    store_caption()
    as_of = as_of_picker()
    st.title("Transfer-risk report")
    st.caption("Every restricted transfer with its verdict, legal source, remediation and evidence; findings by "
               "rule; the Art. 30 records. Built on this machine; nothing is uploaded.")
    data_version = state.version()
    cat = state.catalogue(data_version)
    if state.drafts_left_out(data_version):
        st.info(f"{state.drafts_left_out(data_version)} drafted record(s) await review and are left out of this "
                "report until someone accepts them on the Record page.")
    everyone = sorted(set(cat.activities["controller"]), key=str.casefold)
    chosen = tuple(st.multiselect("Controllers (empty: all)", everyone, key="report_controllers"))
    size = len(cat.activities)
    built = state.peek("report", (data_version, as_of, chosen))
    if built is None and size > BUILD_AT_ONCE and not st.button("Build the report", type="primary",
                                                                key="report_build"):
        st.info(f"The store holds {size} processing activities of {len(everyone)} controllers: building the "
                "report reads all of them and runs the rule pack, which takes a while. Choose controllers to "
                "narrow it, or build it whole.")
        return
    report = built or _build(data_version, as_of, chosen)
    by_verdict = report.transfers_by_verdict()
    c1, c2, c3 = st.columns(3)
    c1.metric("Restricted transfers", len(report.transfers))
    c2.metric("Without a valid basis", by_verdict["no_valid_basis"])
    c3.metric("Findings", len(report.findings))
    st.caption(f"As of {as_of.isoformat()} (the date in the sidebar) · data: {report.source} · "
               f"rule pack {report.rule_pack_version}")
    pdf_ok = find_chromium() is not None
    for col, (fmt, label) in zip(st.columns(len(BUTTONS)), BUTTONS.items()):
        col.download_button(
            label, data=lambda fmt=fmt: _bytes(data_version, as_of, chosen, fmt), file_name=filename(report, fmt),
            mime=MEDIA_TYPES[fmt], on_click="ignore", key=f"report_download_{fmt}",
            disabled=fmt == "pdf" and not pdf_ok,
            help="Needs headless Chromium (apt-get install chromium)" if fmt == "pdf" and not pdf_ok else None)
