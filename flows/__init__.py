"""Prefect flows: thin, scheduled wrappers over docent.evaluate (deployments in prefect.yaml)."""
