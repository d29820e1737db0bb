"""The explorer's frame and router; pages live in ropa/ui/."""
import streamlit as st

from ropa.ui import overview
from ropa.ui import report_page

st.set_page_config(page_title="RoPA Graph Explorer", layout="wide")
st.navigation([st.Page(overview.page, title="Overview", url_path="overview", default=True),
               st.Page(report_page.page, title="Report", url_path="report"),
               st.Page("ropa/ui/extract_page.py", title="Import a notice", url_path="import-notice")]).run()
