"""Flows run for real under Prefect's test harness (a real API server on a temporary database), once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def prefect_api():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def installation(acme_ws, tmp_path, monkeypatch):
    """Environment for the flows' own workspace: the sample index, a fresh state store, thresholds for small runs."""
    env = {
        "DOCENT_DATA_DIR": str(acme_ws.settings.data_dir),
        "DOCENT_STATE__URL": f"sqlite:///{tmp_path / 'state.db'}",
        "DOCENT_EMBEDDING__BACKEND": "torch",
        "DOCENT_CACHE__ANSWERS": "false",
        "DOCENT_EVALUATION__SAMPLE_RATE": "1.0",
        "DOCENT_EVALUATION__MIN_SAMPLES": "4",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    from docent.settings import load_settings
    from docent.workspace import Workspace

    ws = Workspace(load_settings())
    yield ws
    ws.close()
