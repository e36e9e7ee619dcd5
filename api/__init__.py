"""Docent's HTTP API: a thin FastAPI layer over the chat core (``docent serve``); see ``api/main.py``."""
