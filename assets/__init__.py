"""Dagster code location (``[tool.dagster] module_name = "assets.definitions"``): filled by the ingestion milestone."""
