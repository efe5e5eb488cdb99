"""What every schemathesis run in the suite shares: DigiGov's OpenAPI document served in-process by the WSGI
application, positive and negative cases, a bounded deterministic budget, and Hypothesis settings that suit
function-scoped fixtures. Raise the examples with FUZZ_EXAMPLES to search harder locally."""

import os

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from digigov.platform.wsgi import application

# No server error, and every answer documented: its status, its content type and its body's schema.
DOCUMENTED = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def examples(default: int) -> int:
    return int(os.environ.get("FUZZ_EXAMPLES", str(default)))


def api_schema(*, max_examples: int, path_regex: str = "", unexpected_method: str = "DELETE"):
    """The OpenAPI document (or the operations under `path_regex`), ready to parametrize tests with."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    if path_regex:
        schema = schema.include(path_regex=path_regex)
    schema.config.generation.update(
        modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
        max_examples=max_examples,
        deterministic=True,
        with_security_parameters=False,
    )
    # One unexpected method per operation is enough to prove 405s are answered in the error shape; trying every
    # method on every operation would spend most of the budget there.
    schema.config.phases.coverage.unexpected_methods = {unexpected_method}
    return schema


def bounded(max_examples: int):
    """Hypothesis settings for a fuzz test: derandomised, no example database, fixtures per test function."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
