"""Schemathesis over the API's own OpenAPI schema, against the real server: generated requests (valid
and not) never get a 5xx, and every documented response matches its schema."""

from __future__ import annotations

from collections import defaultdict

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

pytestmark = pytest.mark.slow
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]


def test_no_generated_request_gets_a_server_error_or_an_off_schema_answer(api):
    from docent.review.users import UserStore

    UserStore(api.state_url).add("fuzz", "password-fuzz", "member")  # its own user: its rate limit is its own
    schema = schemathesis.openapi.from_url(api.url + "/openapi.json")
    headers = {"Authorization": f"Bearer {api.key('fuzz')}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    seen: dict[str, set[int]] = defaultdict(set)
    assert len(operations) >= 9  # every route is in the schema

    for operation, mode in ((o, m) for o in operations for m in GenerationMode):  # valid requests, then invalid
        @given(case=operation.as_strategy(mode))
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case) -> None:
            seen[f"{mode.value} {operation.label}"].add(case.call_and_validate(checks=CHECKS, headers=headers).status_code)

        try:
            check()
        except Unsatisfiable:  # nothing in this route's schema can be broken (GET /v1/models takes no input)
            assert mode is GenerationMode.NEGATIVE, operation.label
    assert any(s < 300 for codes in seen.values() for s in codes), seen  # real answers, not only refusals
    assert any(400 <= s < 500 for key, codes in seen.items() if key.startswith("negative") for s in codes), seen
