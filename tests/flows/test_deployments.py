"""Every deployment in prefect.yaml loads its flow, its parameters validate, and its schedules name a timezone."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "prefect.yaml").read_text())
DEPLOYMENTS = SPEC["deployments"]


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=[d["name"] for d in DEPLOYMENTS])
def test_deployment_loads_and_its_parameters_validate(deployment, monkeypatch):
    from prefect.flows import load_flow_from_entrypoint

    monkeypatch.chdir(ROOT)
    flow = load_flow_from_entrypoint(deployment["entrypoint"])
    params = deployment.get("parameters") or {}
    assert set(flow.validate_parameters(params)) >= set(params)
    assert deployment["work_pool"]["name"] == "docent-local"
    for schedule in deployment.get("schedules", []):
        assert schedule["cron"] and schedule["timezone"], schedule


def test_bad_parameters_are_refused():
    from prefect.exceptions import ParameterTypeError, SignatureMismatchError

    from flows.continuous_eval import continuous_eval

    with pytest.raises(ParameterTypeError):
        continuous_eval.validate_parameters({"sample_rate": "most"})
    with pytest.raises(SignatureMismatchError):
        continuous_eval.validate_parameters({"sample_size": 3})


def test_the_schedules_are_the_ones_promised():
    crons = {d["name"]: [s["cron"] for s in d.get("schedules", [])] for d in DEPLOYMENTS}
    assert crons == {"continuous-eval": ["*/15 * * * *"], "golden-nightly": ["30 2 * * *"], "golden-gate": []}
    assert SPEC["pull"][0]["prefect.deployments.steps.set_working_directory"]["directory"] == "{{ $DOCENT_ROOT }}"
