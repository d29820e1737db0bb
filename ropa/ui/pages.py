"""The explorer's pages, in menu order; streamlit_app.py calls :func:`run`."""
from __future__ import annotations

import importlib

import streamlit as st

# key (= url path), module in ropa.ui, title. No page icons: a page's icon becomes the favicon, and
# a ":material/...:" one is fetched from fonts.gstatic.com (an emoji needs an emoji font to show).
PAGES = (
    ("overview", "overview", "Overview"),
    ("graph", "graph", "Graph"),
    ("transfers", "transfers", "Transfers & findings"),
    ("special", "special_page", "Special categories (Art. 9/10)"),
    ("changes", "changes_page", "Changes since a snapshot"),
    ("record", "record", "Record (Art. 30)"),
    ("import", "import_page", "Import"),
    ("import-notice", "extract_page", "Import a notice"),
    ("report", "report_page", "Report"),
    ("query", "query", "Query"),
    ("history", "history", "History"),
)


def page_for(key: str, default: bool = False) -> st.Page:
    """The page for a key (for st.page_link / st.switch_page, which match pages by URL path)."""
    for k, module, title in PAGES:
        if k == key:
            fn = importlib.import_module(f"{__package__}.{module}").page
            return st.Page(fn, title=title, url_path=k, default=default)
    raise KeyError(key)


def pages(default: str = "overview") -> list[st.Page]:
    """Every page; ``default`` is the one a bare URL opens."""
    return [page_for(k, default=k == default) for k, *_ in PAGES]


def run(default: str = "overview") -> None:
    """Route to the page the URL names (the landing page is ``default``)."""
    st.navigation(pages(default)).run()
