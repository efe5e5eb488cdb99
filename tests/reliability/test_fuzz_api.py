"""Fuzzing: schemathesis generates requests from the whole OpenAPI document (/api/openapi.json) and sends them
in-process to the WSGI application, signed in as a citizen and as an officer (two factors done), including
malformed ones (negative mode). No answer may be a server error.

The budget is bounded and deterministic (a few examples per operation, fixed derandomised generation), so
`make test` runs it every time in seconds; raise FUZZ_EXAMPLES locally to search harder."""

import secrets

import pytest

from tests.fuzzing import api_schema, bounded, examples
from tests.support import signed_in_client

FUZZ_EXAMPLES = examples(5)
schema = api_schema(max_examples=FUZZ_EXAMPLES)


@pytest.fixture(params=["citizen", "ssa_officer"])
def signed_in(request, db):
    """Cookies of a real signed-in session, and a CSRF token as a browser script sends it."""
    client = signed_in_client(request.getfixturevalue(request.param))
    # Only now: signing in goes through the test client, whose requests reconnect the signals this takes away.
    request.getfixturevalue("in_test_transaction")
    csrf = secrets.token_hex(16)
    return {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf}, {"X-CSRFToken": csrf}


@schema.parametrize()
@bounded(FUZZ_EXAMPLES)
def test_no_request_gets_a_server_error(case, signed_in):
    cookies, headers = signed_in
    response = case.call(cookies=cookies, headers=headers)
    assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text[:500])
