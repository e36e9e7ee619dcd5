"""Measuring quality and speed: retrieval metrics, BEIR runs, ingestion benchmarks."""
