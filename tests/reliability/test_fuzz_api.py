"""Fuzzing: schemathesis generates requests from the whole OpenAPI document (/api/openapi.json) and sends them
in-process to the WSGI application, signed in as a citizen and as an officer (two factors done), including
malformed ones (negative mode). No answer may be a server error.

The budget is bounded and deterministic (a few examples per operation, fixed derandomised generation), so
`make test` runs it every time in seconds; raise FUZZ_EXAMPLES locally to search harder."""

import os
import secrets

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from digigov.platform.wsgi import application
from tests.support import signed_in_client

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    max_examples=FUZZ_EXAMPLES,
    deterministic=True,
    with_security_parameters=False,
)
# One unexpected method per operation is enough to prove 405s are answered in the error shape; trying every
# method on every operation would spend most of the budget there.
schema.config.phases.coverage.unexpected_methods = {"DELETE"}


@pytest.fixture
def in_test_transaction(db):
    """Requests go straight to the WSGI handler, which closes the database connection around each request;
    inside a test that would end the test's transaction, so keep it open as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["citizen", "ssa_officer"])
def signed_in(request, in_test_transaction):
    """Cookies of a real signed-in session, and a CSRF token as a browser script sends it."""
    client = signed_in_client(request.getfixturevalue(request.param))
    csrf = secrets.token_hex(16)
    return {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf}, {"X-CSRFToken": csrf}


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_request_gets_a_server_error(case, signed_in):
    cookies, headers = signed_in
    response = case.call(cookies=cookies, headers=headers)
    assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text[:500])
