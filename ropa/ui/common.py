"""Small pieces every page uses: the as-of picker, safe text, severity badges, errors, the graph frame.

User data (names, quotes, reasons) never reaches Streamlit's Markdown
unescaped: Markdown would render ``![x](https://…)`` as an image that the
browser fetches from a third party. :func:`plain` escapes it; :func:`quote`
shows a quote as escaped HTML.
"""
from __future__ import annotations

import datetime as dt
import functools
import html
import logging
import re
from typing import Callable

import streamlit as st

from ..errors import InputError, RopaError, StoreLockedError
from ..palette import OK_COLOUR, SEVERITY_COLOURS
from ..reference import gdpr_applies_from

log = logging.getLogger("ropa.ui")
MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>:$~=^&])")


def plain(text: object) -> str:
    """Text safe to pass to Streamlit Markdown (every markup character escaped).

    >>> plain("![x](https://evil.example/p.png) :red[x] $x$")
    '\\\\!\\\\[x\\\\]\\\\(https\\\\://evil\\\\.example/p\\\\.png\\\\) \\\\:red\\\\[x\\\\] \\\\$x\\\\$'
    """
    return MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


LANGUAGE_NAMES = {"en": "English", "nl": "Dutch", "de": "German"}


def quote_language(text: str) -> str:
    """The language of a quote (``en``, ``nl`` or ``de``; English unless another language's words win).

    >>> quote_language("ActiveCampaign is gecertificeerd onder de Privacy Shield Overeenkomst.")
    'nl'
    """
    from ..extract.extractor import detect_language
    return detect_language(text)


def quote(text: str, source: str = "") -> None:
    """Show an evidence quote (escaped) in its own words with where it comes from; a quote that is not in
    English is marked with its language (and carries it as ``lang``, so a screen reader reads it right)."""
    if not text:
        st.caption("No evidence quote recorded.")
        return
    lang = quote_language(text)
    mark = ""
    if lang != "en":
        mark = (f'<div data-testid="quote-language" style="color:#556;font-size:.8em;margin-bottom:4px">'
                f'Quoted in {html.escape(LANGUAGE_NAMES.get(lang, lang))} ({html.escape(lang)}), as written in the '
                f'source</div>')
    cite = (f'<div style="color:#556;font-size:.85em;margin-top:4px">Source: {html.escape(source)}</div>'
            if source else "")
    st.html(f'<blockquote lang="{html.escape(lang)}" style="margin:0;padding:8px 12px;border-left:4px solid '
            f'#1f3a5f;background:#f4f6f9;border-radius:4px;white-space:pre-wrap">{mark}{html.escape(text)}{cite}'
            '</blockquote>')


def badge_html(severity: str | None, text: str | None = None) -> str:
    colour = SEVERITY_COLOURS.get(severity or "", OK_COLOUR)
    label = html.escape(text or (severity or "no finding"))
    fg = "#1b1b1b" if severity == "low" else "#ffffff"
    return (f'<span style="background:{colour};color:{fg};border-radius:10px;padding:1px 8px;'
            f'font-size:.82em;font-weight:600">{label}</span>')


# the days the evaluation date may take: from the day the GDPR applies (data/reference/law.csv)
DATE_RANGE = (gdpr_applies_from(), dt.date(2100, 12, 31))


def parse_day(text: str) -> dt.date | None:
    """A day typed as YYYY-MM-DD (also with / or . between), inside :data:`DATE_RANGE`; None otherwise.

    >>> parse_day(" 2020/07/01 "), parse_day("2020-13-01"), parse_day("2018-05-24")
    (datetime.date(2020, 7, 1), None, None)
    """
    try:
        day = dt.date.fromisoformat(re.sub(r"[/.]", "-", text.strip()))
    except ValueError:
        return None
    return day if DATE_RANGE[0] <= day <= DATE_RANGE[1] else None


def _typed_day() -> None:
    text = st.session_state["_as_of_text"]
    day = parse_day(text)
    if day is None:
        st.session_state["_as_of_bad"] = text
    else:
        st.session_state.pop("_as_of_bad", None)
        st.session_state["as_of"] = st.session_state["_as_of"] = day


def _picked_day() -> None:
    day = st.session_state["_as_of"]
    st.session_state.pop("_as_of_bad", None)
    st.session_state["as_of"] = day
    st.session_state["_as_of_text"] = day.isoformat()


def as_of_picker() -> dt.date:
    """The evaluation date, in the sidebar and shared by every page: typed (applies on Enter or on
    leaving the field) or picked in a calendar. Streamlit's own date field applies a typed date only
    once the focus leaves the whole widget, so typing has its own text field."""
    ss = st.session_state
    ss.setdefault("as_of", dt.date.today())
    if ss["as_of"] < DATE_RANGE[0]:  # set by hand or by an older session: the law did not apply yet
        ss["as_of"] = DATE_RANGE[0]
    if "_as_of_bad" not in ss:
        ss["_as_of_text"] = ss["as_of"].isoformat()
    ss["_as_of"] = ss["as_of"]
    st.sidebar.text_input("Evaluate as of", key="_as_of_text", on_change=_typed_day, placeholder="YYYY-MM-DD",
                          help="Every rule takes this date: the findings are those that held on this day "
                               "(Privacy Shield, for instance, was valid until 2020-07-15). Type a date as "
                               "YYYY-MM-DD and press Enter, or pick one in the calendar below. The earliest is "
                               f"{DATE_RANGE[0].isoformat()}, the day the GDPR applies from.")
    if "_as_of_bad" in ss:
        st.sidebar.error(plain(f"“{ss['_as_of_bad']}” is not a day between {DATE_RANGE[0]} and {DATE_RANGE[1]} "
                               f"(YYYY-MM-DD); still evaluating as of {ss['as_of'].isoformat()}."))
    st.sidebar.date_input("Pick a day", key="_as_of", on_change=_picked_day, min_value=DATE_RANGE[0],
                          max_value=DATE_RANGE[1], format="YYYY-MM-DD", label_visibility="collapsed")
    return ss["as_of"]


def store_caption() -> None:
    """Which store the explorer reads (sidebar), and anything the user must know about it."""
    from .state import workspace
    ws, notes = workspace()
    st.sidebar.caption(f"Store: {plain(ws.describe())}")
    for n in notes:
        st.sidebar.info(plain(n))


def guarded(page: Callable[[], None]) -> Callable[[], None]:
    """Run a page; library errors become one-line messages, anything else a short note (no traceback)."""
    @functools.wraps(page)
    def run() -> None:
        try:
            page()
        except InputError as exc:
            st.error(plain(str(exc)))
        except StoreLockedError as exc:
            st.error(plain(str(exc)))
        except RopaError as exc:
            st.error(plain(f"The store could not answer: {exc}"))
        except Exception as exc:  # the last wall (Streamlit's rerun/stop are BaseExceptions and pass)
            log.exception("page failed")
            st.error(plain(f"Something went wrong ({type(exc).__name__}: {exc}). "
                           "The details are in the explorer's log."))
    return run


EAGER_ROWS = 5000  # a download of up to this many rows is built with the page, so a failure shows at once
_FAILED: dict[tuple[str, str], str] = {}  # (session, button key) -> why a download built on click failed


def _session() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def rows_key(df) -> str:
    """Which rows of a table a page shows (after its filters), in a few bytes: part of a download's memo key."""
    import hashlib
    import numpy as np
    return f"{len(df)}:" + hashlib.blake2b(np.asarray(df.index).tobytes(), digest_size=16).hexdigest()


def download(where, label: str, build: Callable[[], bytes], file_name: str, mime: str, key: str,
             rows: int | None = None, reuse: tuple | None = None, **kw) -> None:
    """A download button for ``build()`` (a function of values bound now, never of page variables that a
    later part of the page rebinds: Streamlit calls a deferred ``data`` after the script run ends).

    Up to :data:`EAGER_ROWS` rows the file is built with the page and a failure is an error on the page,
    with no button. Larger (or ``rows=None``), it is built on click; a failure there is logged and shown
    as an error on the next run of the page. ``reuse`` (what the file's content depends on: the store
    version, the date, :func:`rows_key` of the rows shown) keeps a file built with the page for the next
    runs and sessions that show the same, instead of building it again on every rerun."""
    session = _session()
    failed = _FAILED.pop((session, key), None)
    if failed:
        where.error(plain(f"The download {file_name} could not be built: {failed}"))
    if rows is not None and rows <= EAGER_ROWS:
        try:
            if reuse is None:
                data = build()
            else:
                from . import state
                data = state.memo("download", (key, file_name, *reuse), build, keep=32)
        except Exception as exc:
            log.exception("download %s failed", file_name)
            where.error(plain(f"The download {file_name} could not be built ({type(exc).__name__}: {exc}). "
                              "The details are in the explorer's log."))
            return
        where.download_button(label, data, file_name, mime, key=key, on_click="ignore", **kw)
        return

    def on_click() -> bytes:
        try:
            return build()
        except Exception as exc:
            log.exception("download %s failed", file_name)
            _FAILED[(session, key)] = f"{type(exc).__name__}: {exc}"
            raise
    where.download_button(label, on_click, file_name, mime, key=key, on_click="ignore", **kw)


LEGEND_ROOM = 96


def graph_frame(page_html: str, height: int) -> None:
    """Embed a page from ropa.render: the canvas gets about ``height`` pixels and the legend below it
    what it needs (the canvas gives way to a legend that wraps onto more lines in a narrow column)."""
    st.iframe(page_html, height=height + LEGEND_ROOM)


TABLE_ROWS = 18  # rows a table shows before it scrolls: most of a 900-pixel screen


def table_height(rows: int, most: int = TABLE_ROWS) -> int:
    """The pixel height of a table of ``rows`` rows, up to ``most`` visible (header 38 px, rows 35 px)."""
    return 38 + 35 * max(1, min(rows, most))


OPTION_CAP = 1000  # a picker with more choices than this asks for a few letters first


def many_multiselect(where, title: str, options: list[tuple[str, str]], key: str) -> list[str]:
    """A multiselect over (value, label) pairs. Over :data:`OPTION_CAP` choices a search box narrows
    them first, so only the matches (and what is chosen) are sent to the browser."""
    labels = dict(options)
    chosen = [k for k in st.session_state.get(key, []) if k in labels]
    keys = [k for k, _ in options]
    if len(keys) > OPTION_CAP:
        needle = where.text_input(f"{title}: search", key=f"{key}_q", placeholder=f"{len(keys)} to choose from")
        needle = needle.strip().casefold()
        keys = [k for k in keys if needle and needle in str(labels[k]).casefold()][:OPTION_CAP]
    keys = chosen + [k for k in keys if k not in chosen]
    return where.multiselect(title, keys, format_func=lambda k: labels.get(k, k), key=key, placeholder="all")
