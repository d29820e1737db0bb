"""The explorer's frame and router; pages live in ropa/ui/."""
import streamlit as st

from ropa.ui.pages import run

st.set_page_config(page_title="RoPA Graph Explorer", layout="wide")
run()
