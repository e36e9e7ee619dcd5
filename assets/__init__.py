"""Dagster code location for ingestion (``[tool.dagster] module_name = "assets.definitions"``).

A thin layer: every asset, sensor and job calls the core in ``docent`` (the same stages as
``docent ingest``); this package only adds scheduling, partitions, checks and metadata.
"""
