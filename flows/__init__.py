"""Prefect flows for continuous evaluation: filled by the evaluation milestone."""
