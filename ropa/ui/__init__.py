"""The Streamlit explorer's pages. Only this package imports streamlit."""
