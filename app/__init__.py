"""The Streamlit app: ``streamlit_app.py`` (sign-in and navigation) and one thin file per page."""
