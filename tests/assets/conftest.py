"""Dagster fixtures: a throwaway instance and definitions bound to a temporary data directory."""

from pathlib import Path

import dagster as dg
import pytest

from assets.definitions import build_definitions
from assets.resources import DocentResource, EmbedderResource, SettingsResource, SourceResource


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "leave.md").write_text("# Leave\n\nParental leave is sixteen weeks at full pay.\n\n## Sick leave\n\nTen sick days a year.\n")
    (root / "travel.txt").write_text("Hotels are capped at 180 euros per night in Lisbon and Oslo.\n")
    (root / "offices.csv").write_text("city,staff\nLisbon,40\nOslo,12\n")
    (root / "broken.pdf").write_bytes(b"%PDF-1.7\nthis is not really a pdf")
    return root


@pytest.fixture
def defs(tmp_path: Path, corpus: Path) -> dg.Definitions:
    docent = DocentResource.build(
        settings=SettingsResource(data_dir=str(tmp_path / "data")), embedder=EmbedderResource(backend="torch", batch_size=32)
    )
    return build_definitions(docent, SourceResource(roots=[str(corpus)]))


@pytest.fixture
def tick(defs, instance):
    return lambda: sensor_tick(defs, instance)


@pytest.fixture
def run_all(defs, instance):
    return lambda requests: run_requests(defs, instance, requests)


def sensor_tick(defs: dg.Definitions, instance: dg.DagsterInstance):
    """One sensor evaluation, its asset events and partition requests applied, as the daemon would."""
    with dg.build_sensor_context(instance=instance, resources=defs.resources, definitions=defs) as context:
        result = defs.resolve_sensor_def("source_sensor")(context)
    if isinstance(result, dg.SkipReason):
        return [], result.skip_message
    for event in result.asset_events:
        instance.report_runless_asset_event(event)
    for request in result.dynamic_partitions_requests or []:
        if isinstance(request, dg.DeleteDynamicPartitionsRequest):
            for key in request.partition_keys:
                instance.delete_dynamic_partition(request.partitions_def_name, key)
        else:
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return list(result.run_requests or []), result.skip_reason.skip_message if result.skip_reason else None


def run_requests(defs: dg.Definitions, instance: dg.DagsterInstance, requests) -> list[dg.ExecuteInProcessResult]:
    job = defs.resolve_job_def("ingest_job")
    return [job.execute_in_process(instance=instance, partition_key=r.partition_key, tags=r.tags) for r in requests]
