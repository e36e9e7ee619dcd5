"""The code location loads, and its shape matches the committed snapshot (a change shows as a diff).

To accept an intended change: ``UPDATE_SNAPSHOTS=1 pytest tests/assets/test_definitions.py``.
"""

import json
import os
from pathlib import Path

import dagster as dg

from assets.definitions import defs

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


def graph_shape(definitions: dg.Definitions) -> dict:
    graph = definitions.resolve_asset_graph()
    assets = {}
    for node in sorted(graph.asset_nodes, key=lambda n: n.key.to_user_string()):
        assets[node.key.to_user_string()] = {
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "partitions": getattr(node.partitions_def, "name", None),
            "checks": sorted(
                f"{c.name}{' (blocking)' if graph.get_check_spec(c).blocking else ''}" for c in node.check_keys
            ),
        }
    return {
        "assets": assets,
        "jobs": sorted(j.name for j in definitions.resolve_all_job_defs() if not j.name.startswith("__")),
        "sensors": {s.name: s.job_name for s in definitions.sensors},
        "schedules": {s.name: [s.cron_schedule, s.execution_timezone, s.job_name] for s in definitions.schedules},
    }


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)


def test_asset_graph_matches_snapshot():
    shape = graph_shape(defs)
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(shape, indent=2, sort_keys=True) + "\n")
    assert shape == json.loads(SNAPSHOT.read_text())
