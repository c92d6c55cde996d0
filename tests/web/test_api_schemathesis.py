"""The JSON API against its own OpenAPI schema (schemathesis, in-process ASGI, no network): for
inputs generated from the schema (valid and invalid ones), with an officer's token, no answer
is a server error, every answer matches the schema declared for it and no status is
undeclared. Bounded (a few examples per operation, derandomised) so that it runs in well under
two minutes.

schemathesis' own pytest loader (`from_fixture`) does not run under this pytest, so each
operation's strategy is driven by hypothesis here, which is what that loader does too."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
EXAMPLES = 8  # per operation and mode
# On both databases: each refuses different inputs (PostgreSQL a NUL byte or an integer past
# 32 bits, SQLite one past 64), so each could turn a generated input into a server error.
pytestmark = pytest.mark.long


def _failures(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> list[str]:
    found: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except (AssertionError, FailureGroup) as exc:
            found.append(f"{operation.label} ({mode.value}): {str(exc)[:1500]}")

    try:
        run()
    except Unsatisfiable:
        # Nothing of the operation can be made invalid (no parameters, no body).
        assert mode is GenerationMode.NEGATIVE, operation.label
    return found


def test_the_api_answers_as_its_schema_says(app: FastAPI, personas: Any) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app).include(
        path_regex="^/api/v1/"
    )
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _failures(operation, mode, personas.officer_a.headers)
    assert operations > 50
    if failures:
        pytest.fail(f"{len(failures)} failures:\n\n" + "\n\n".join(failures[:40]))
