"""Docent: documents in, hybrid search, chat with citations, review and continuous evaluation."""

__version__ = "0.1.0"
