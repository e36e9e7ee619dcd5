"""Relational state (SQLite by default, Postgres in production) through SQLAlchemy Core."""
