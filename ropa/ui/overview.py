"""Overview: how much there is, how bad it is, and where the data go (world map)."""
from __future__ import annotations

import functools
import html
from collections import Counter

import streamlit as st

from ..palette import SEVERITY_COLOURS
from ..country_view import country_choices, country_flows, data_summary
from ..tables import csv_bytes, xlsx_bytes
from ..worldmap import EUROPE, country_names, world_svg
from . import mapview, state
from .common import XLSX_MIME, as_of_picker, badge_html, download, guarded, plain, store_caption, table_height


def _severity_cards(counts: Counter) -> str:
    cards = []
    for sev in ("high", "medium", "low"):
        fg = "#1b1b1b" if sev == "low" else "#ffffff"
        cards.append(f'<div style="flex:1;background:{SEVERITY_COLOURS[sev]};color:{fg};border-radius:8px;'
                     f'padding:10px 14px"><div style="font-size:.85em;opacity:.9">{sev} findings</div>'
                     f'<div style="font-size:1.9em;font-weight:700" data-testid="sev-{sev}">{counts[sev]}</div></div>')
    return f'<div style="display:flex;gap:10px">{"".join(cards)}</div>'


def _country_view(version: str, as_of, ev) -> None:
    """Choose a country: its transfers (importer, activity, mechanism, verdict) or, inside the EEA, its
    recipients."""
    cat = state.catalogue(version)
    choices = country_choices(cat, ev.transfers)
    if not choices:
        return
    labels = dict(choices)
    clicked = st.session_state.pop(mapview.CLICKED, None)
    if clicked in labels:  # a click on the map chooses the country here, as choosing it in the list would
        st.session_state["map_country"] = clicked
    elif clicked:
        st.caption(plain(f"Nothing in this RoPA goes to {country_names().get(clicked, clicked)}."))
    code = st.selectbox("What goes to a country", list(labels), format_func=labels.get, index=None,
                        key="map_country", placeholder="choose a country…")
    if code is None:
        return
    rows = state.memo("country flows", (version, as_of, code), lambda: country_flows(cat, ev.transfers, code), keep=8)
    cats, subjects = data_summary(rows)
    if cats or subjects:
        name = labels[code].split(":")[0].removesuffix(" (EEA)")
        st.caption(plain(f"Data categories going to {name}: {', '.join(cats) or 'none recorded'}. "
                         f"Data subjects: {', '.join(subjects) or 'none recorded'}."))
    st.dataframe(rows, hide_index=True, width="stretch", height=table_height(len(rows)), key="map_country_table",
                 column_config={"evidence": st.column_config.TextColumn("evidence", width="large"),
                                "data categories": st.column_config.TextColumn("data categories", width="large")})
    left, right = st.columns(2)
    download(left, "Download this country's list (CSV)", functools.partial(csv_bytes, rows),
             f"transfers-{code.lower()}.csv", "text/csv", "dl_country_csv", rows=len(rows),
             icon=":material/download:", reuse=(version, as_of, code))
    download(right, "Download this country's list (XLSX)", functools.partial(xlsx_bytes, {"Transfers": rows}),
             f"transfers-{code.lower()}.xlsx", XLSX_MIME, "dl_country_xlsx", rows=len(rows),
             icon=":material/download:", reuse=(version, as_of, code))


def _evidence_line(f: dict, prov) -> str:
    """A finding's quote, marked with its language when not English, and where it comes from (one line)."""
    quote = f.get("evidence") or ""
    if not quote:
        return ""
    from .common import LANGUAGE_NAMES, quote_language
    lang = quote_language(quote)
    mark = "" if lang == "en" else f"[{html.escape(LANGUAGE_NAMES.get(lang, lang))}] "
    where = prov.cite(f.get("source"), f.get("row"))
    return (f"<div data-testid='worst-evidence' style='color:#556;font-size:.85em;margin-left:4px'>{mark}"
            f"<q lang='{html.escape(lang)}'>{html.escape(quote)}</q>"
            + (f" · Source: {html.escape(where)}" if where else "") + "</div>")


@guarded
def page() -> None:
    """Counts, findings by severity and rule, the world map, the worst findings."""
    store_caption()
    as_of = as_of_picker()
    st.title("Overview")
    version = state.version()
    ev = state.evaluation(version, as_of)
    findings = ev.findings
    counts = ev.counts
    st.caption(f"Evaluated as of {as_of.isoformat()} with the rule pack in queries/. "
               "Nothing leaves this machine.")
    if not counts["activities"]:
        st.info("The store holds no processing activity yet. Import a register or a graph file on the "
                "Import page.")
        return
    cols = st.columns(5)
    labels = [("Controllers", "controllers"), ("Processing activities", "activities"), ("Recipients", "recipients"),
              ("Countries data go to", "countries"), ("Restricted transfers", "restricted_transfers")]
    for col, (label, key) in zip(cols, labels):
        col.metric(label, counts[key])

    by_sev = Counter(f["severity"] for f in findings)
    st.subheader("Findings by severity")
    st.html(_severity_cards(by_sev))
    if findings:
        by_rule = Counter((f.get("title") or f["rule"], f["severity"]) for f in findings)
        rows = "".join(
            f"<tr><td>{badge_html(sev)}</td><td style='padding:2px 10px'>{html.escape(rule)}</td>"
            f"<td style='text-align:right'>{n}</td></tr>"
            for (rule, sev), n in sorted(by_rule.items(), key=lambda kv: (("high", "medium", "low").index(kv[0][1]),
                                                                       -kv[1], kv[0][0])))
        with st.expander("By rule", expanded=False):
            st.html(f"<table style='border-collapse:collapse;font-size:.92em'>{rows}</table>")

    st.subheader("Where personal data go")
    layers = ev.map
    if not counts["restricted_transfers"]:
        st.success("No transfers outside the EEA: every recipient processes data inside the EEA.")
    svg, inset = state.memo("maps", (version, as_of), lambda: (
        world_svg(layers["fill"], layers["labels"], legend=layers["legend"],
                  title="Where personal data go: countries coloured by the worst finding on transfers there"),
        world_svg(layers["fill"], layers["labels"], width=520, focus=EUROPE,
                  title="The EEA, zoomed in: recipients inside the EEA in light blue")), keep=4)
    world_col, europe_col = st.columns([3, 2])
    with world_col:
        mapview.world_map(svg, "worldmap", key="worldmap")
    with europe_col:
        mapview.world_map(inset, "europemap", key="europemap")
    st.caption("Hover a country for its transfers, click it to list them; the EEA is zoomed in on the right. "
               "Countries outside the EEA "
               "are coloured by the worst finding on the transfers to them; light blue: recipients inside the EEA.")
    _country_view(version, as_of, ev)
    for text in layers["unplaced"]:
        st.warning(plain(f"Not on the map: {text}"))

    worst = [f for f in findings if f["severity"] == "high"][:8]
    if worst:
        st.subheader("Worst findings")
        prov = state.provenance(version)
        for f in worst:
            st.html(f"<div style='margin:2px 0'>{badge_html(f['severity'])} <b>{html.escape(f.get('title') or f['rule'])}</b> · "
                    f"{html.escape(f.get('controller') or '')} → {html.escape(f['subject'])}"
                    f"<div style='color:#445;font-size:.9em;margin-left:4px'>{html.escape(f['reason'])}</div>"
                    f"{_evidence_line(f, prov)}</div>")
        more = by_sev["high"] - len(worst)
        from .pages import page_for
        st.page_link(page_for("transfers"), label=f"All findings and transfers{f' ({more} more high)' if more > 0 else ''}",
                     icon=":material/table_view:")
