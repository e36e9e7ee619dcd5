"""The Streamlit app: ``server.py`` (the web server and its sign-in routes), ``streamlit_app.py`` (navigation) and one thin file per page."""
