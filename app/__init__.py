"""Streamlit app (st.navigation entry point + one file per page): filled by the app milestone."""
